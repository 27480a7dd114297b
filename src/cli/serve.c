/* followd serve: open the store, build the API, run the HTTP server. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/rcache.h"
#include "cli/cli.h"
#include "cli/tlsid.h"
#include "core/xhosts.h"
#include "http/server.h"
#include "oauth/oauth.h"
#include "portal/portal.h"

#define FW_INTERCEPT_HTTPS "127.0.0.1:443"
#define FW_INTERCEPT_HTTP "127.0.0.1:80"
#define USER_CACHE_RAM_SHARE 16 /* --user-cache by default: at most 1/16 of RAM */

#define STR_(x) #x
#define STR(x) STR_(x)

static const char serve_usage[] =
    "usage: followd serve --db DIR|URI [options]\n"
    "  --db DIR|URI          database directory (created if missing), or a PostgreSQL connection\n"
    "                        string postgresql://user@host:port/dbname (docs/postgresql.md)\n"
    "  --listen HOST:PORT    address to listen on (default " FW_HTTP_DEFAULT_LISTEN "; port 0 = any free port)\n"
    "  --threads N           event-loop threads (default: one per core)\n"
    "  --tls-cert FILE       serve HTTPS (HTTP/2 via ALPN) with this certificate chain\n"
    "  --tls-key FILE        ... and this private key\n"
    "  --intercept           also serve HTTPS on 127.0.0.1:443 and HTTP on 127.0.0.1:80 for X's host names\n"
    "                        (api.x.com, api.twitter.com, x.com, twitter.com, ...; point them here with\n"
    "                        'followd hosts add'), with the local certificate of 'followd tls init'\n"
    "  --intercept-https HOST:PORT  the HTTPS address of --intercept (default " FW_INTERCEPT_HTTPS ")\n"
    "  --intercept-http HOST:PORT   its plain HTTP address (default " FW_INTERCEPT_HTTP "; '' = none)\n"
    "  --proxy               the --listen port is also an HTTPS proxy for X's host names: CONNECT\n"
    "                        api.x.com:443 is answered by followd itself with the local certificate,\n"
    "                        so HTTPS_PROXY=http://HOST:PORT redirects unmodified clients; any other\n"
    "                        host is refused (403), followd connects nowhere\n"
    "  --tls-dir DIR         the local CA and certificate of --intercept / --proxy (created if missing;\n"
    "                        default as 'followd tls init'); --tls-cert/--tls-key override it\n"
    "  --max-body BYTES      request body limit (default " STR(FW_HTTP_DEFAULT_MAX_BODY) ")\n"
    "  --timeout MS          header, idle, TLS handshake and stalled-response timeout (default "
    STR(FW_HTTP_DEFAULT_TIMEOUT_MS) ")\n"
    "  --access-log PATH     one line per request appended to PATH (- = stderr; default none);\n"
    "                        SIGHUP reopens it (see docs/http.md)\n"
    "  --rate-limits on|off  enforce X's rate limits and daily caps (default on)\n"
    "  --public-base-urls L  extra base URLs accepted in OAuth 1.0a signatures\n"
    "                        (default https://api.twitter.com,https://api.x.com)\n"
    "  --limits SPEC         override X's limits, e.g. follow.user_day=400,lookup.app_15min=15,\n"
    "                        lookup.level=enterprise (see docs/ratelimits.md)\n"
    "  --response-cache on|off|MB  reuse rendered reads while nothing they show changed\n"
    "                        (default on: up to 256 MB per event-loop thread, all threads\n"
    "                        together at most 1/16 of RAM; a number sets the MB per thread)\n"
    "  --user-cache on|off|MB  keep the users that default-fields follower and following pages\n"
    "                        show in memory, shared by all threads (LMDB; default on: up to\n"
    "                        1/16 of RAM, used as pages show users; a number sets the MB)\n"
    "  --oauth-pending-max N  sign-in pages, request tokens, codes and verifiers held at once\n"
    "                        (" STR(FW_OAUTH_PENDING_MIN) ".." STR(FW_OAUTH_PENDING_LIMIT) ", default "
    STR(FW_OAUTH_PENDING_DEFAULT) "; see docs/oauth.md)\n"
    "  --db-max-size SIZE    the database's maximum size, e.g. 512M or 64G (default 16G); the file\n"
    "                        grows as needed up to it, then writes answer 503 (docs/reliability.md)\n"
    "  --portal-approval auto|manual  new developer-portal accounts are approved at once (auto) or\n"
    "                        wait for 'followd developer approve' (manual, the default; docs/portal.md)\n"
    "  --db-pool N           PostgreSQL: connections (and threads) serving requests (1..64, default 4)\n"
    "  --db-timeout MS       PostgreSQL: connect and statement timeout (default 5000); a request\n"
    "                        that cannot reach the database answers 503\n"
    "  --db-queue N          PostgreSQL: requests waiting for a connection at most (1..1000000,\n"
    "                        default 4096); more answer 503 at once\n"
    "  --db-replica URI      PostgreSQL: a hot standby for app-only lookups (repeatable, up to 8);\n"
    "                        user-context reads and writes stay on the primary (docs/scaling.md)\n"
    "  --db-no-prepare       PostgreSQL: no named prepared statements (behind pgbouncer in\n"
    "                        transaction mode; docs/scaling.md)\n"
    "  --test-clock          accept POST /_test/clock from loopback (tests only)\n";

/* Upper bounds that keep a typo from meaning "unlimited". */
#define MAX_BODY (64u * 1024 * 1024)
#define MAX_TIMEOUT_MS (24u * 3600 * 1000)
#define MIN_DB_SIZE ((uint64_t)1 << 20)
#define MAX_DB_SIZE ((uint64_t)1 << 42) /* 4 TiB of address space */

typedef struct serve_ready {
    const fw_http_config *hc;
    bool intercept, proxy;
} serve_ready;

/* "HOST:PORT" without its port, "[V6]" kept bracketed. */
static void host_of(const char *addr, char *out, size_t cap)
{
    snprintf(out, cap, "%s", addr);
    char *colon = strrchr(out, ':');
    if (colon)
        *colon = 0;
}

/* One line per listener, the --listen one first (scripts read that line). */
static void on_ready(void *ctx, const int *ports, size_t n)
{
    serve_ready *r = ctx;
    for (size_t i = 0; i < n; i++) {
        const fw_http_listener *l = &r->hc->listeners[i];
        char host[256];
        host_of(l->addr, host, sizeof host);
        printf("followd: listening on %s://%s:%d", l->tls ? "https" : "http", host, ports[i]);
        if (i == 0 && r->proxy)
            printf(" (also the HTTPS proxy for X's hosts: HTTPS_PROXY=http://%s:%d)", host, ports[i]);
        else if (i > 0 && r->intercept)
            printf(" (intercept: %s://%s and X's other host names)", l->tls ? "https" : "http", fw_x_hosts[0]);
        putchar('\n');
    }
    fflush(stdout);
}

/* The certificate of --intercept / --proxy: the local TLS identity in dir
 * (created when missing) unless --tls-cert/--tls-key name one. */
static int local_identity(const char *dir, char *cert, char *key, size_t cap)
{
    char def[4096], err[512];
    if (!dir) {
        if (fw_tlsid_default_dir(def, sizeof def) != 0) {
            fw_cli_err("neither XDG_DATA_HOME nor HOME is set: pass --tls-dir DIR");
            return -1;
        }
        dir = def;
    }
    bool new_ca, new_server;
    if (fw_tlsid_init(dir, &new_ca, &new_server, err, sizeof err) != 0) {
        fw_cli_err("%s", err);
        return -1;
    }
    if (fw_tlsid_path(dir, "server.pem", cert, cap) != 0 || fw_tlsid_path(dir, "server.key", key, cap) != 0) {
        fw_cli_err("--tls-dir is too long");
        return -1;
    }
    fprintf(stderr, "followd: TLS with the local CA %s/ca.pem%s ('followd tls trust' prints how clients trust it)\n",
            dir, new_ca ? " (just created)" : "");
    return 0;
}

int fw_cli_serve(int argc, char **argv)
{
    if (fw_cli_wants_help(argc, argv)) {
        fputs(serve_usage, stdout);
        return 0;
    }
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},        {"listen", required_argument, 0, 'l'},
        {"threads", required_argument, 0, 't'},   {"tls-cert", required_argument, 0, 'c'},
        {"tls-key", required_argument, 0, 'k'},   {"max-body", required_argument, 0, 'b'},
        {"timeout", required_argument, 0, 'T'},   {"rate-limits", required_argument, 0, 'r'},
        {"public-base-urls", required_argument, 0, 'u'}, {"test-clock", no_argument, 0, 'C'},
        {"limits", required_argument, 0, 'L'},
        {"response-cache", required_argument, 0, 'R'},
        {"user-cache", required_argument, 0, 0x103},
        {"db-max-size", required_argument, 0, 'M'},
        {"access-log", required_argument, 0, 'A'},
        {"oauth-pending-max", required_argument, 0, 'P'},
        {"portal-approval", required_argument, 0, 'a'},
        {"db-pool", required_argument, 0, 'N'},
        {"db-timeout", required_argument, 0, 'W'},
        {"db-queue", required_argument, 0, 'Q'},
        {"db-replica", required_argument, 0, 0x101},
        {"db-no-prepare", no_argument, 0, 0x102},
        {"intercept", no_argument, 0, 'I'},
        {"intercept-https", required_argument, 0, 'S'},
        {"intercept-http", required_argument, 0, 'H'},
        {"proxy", no_argument, 0, 'X'},
        {"tls-dir", required_argument, 0, 'D'},
        {0, 0, 0, 0},
    };
    fw_store_opts so = {0};
    const char *replicas[8];
    const char *tls_dir = NULL;
    const char *icpt_https = FW_INTERCEPT_HTTPS, *icpt_http = FW_INTERCEPT_HTTP;
    bool intercept = false, proxy = false, icpt_addr = false;
    fw_http_config hc = {0};
    hc.listen = FW_HTTP_DEFAULT_LISTEN;
    hc.max_body = FW_HTTP_DEFAULT_MAX_BODY;
    hc.timeout_ms = FW_HTTP_DEFAULT_TIMEOUT_MS;
    fw_api_config ac = {0};
    ac.rate_limits = true;
    ac.response_cache = true;
    ac.public_base_urls = "https://api.twitter.com,https://api.x.com";
    int c;
    uint64_t v, cache_mb = 0; /* --response-cache MB; 0: the default for this machine */
    int64_t user_cache_mb = -1; /* --user-cache MB; -1: the default for this machine, 0: off */
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': so.path = optarg; break;
        case 'l': hc.listen = optarg; break;
        case 't':
            if (fw_cli_number("threads", optarg, 0, 256, &v) != 0)
                return 2;
            hc.threads = (int)v;
            break;
        case 'c': hc.tls_cert = optarg; break;
        case 'k': hc.tls_key = optarg; break;
        case 'b':
            if (fw_cli_number("max-body", optarg, 1024, MAX_BODY, &v) != 0)
                return 2;
            hc.max_body = (size_t)v;
            break;
        case 'T':
            if (fw_cli_number("timeout", optarg, 100, MAX_TIMEOUT_MS, &v) != 0)
                return 2;
            hc.timeout_ms = (int)v;
            break;
        case 'r':
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                fw_cli_err("--rate-limits takes on or off");
                return 2;
            }
            ac.rate_limits = !strcmp(optarg, "on");
            break;
        case 'u': ac.public_base_urls = optarg; break;
        case 'A':
            if (!*optarg) {
                fw_cli_err("--access-log takes a file path or - for stderr");
                return 2;
            }
            hc.access_log = optarg;
            break;
        case 'C': ac.test_clock = true; break;
        case 'L': ac.limits_spec = optarg; break;
        case 'R':
            if (!strcmp(optarg, "on") || !strcmp(optarg, "off")) {
                ac.response_cache = !strcmp(optarg, "on");
                break;
            }
            if (fw_cli_number("response-cache", optarg, 1, 65536, &v) != 0)
                return 2; /* neither on, off nor a size in MB per thread */
            ac.response_cache = true;
            cache_mb = v;
            break;
        case 0x103:
            if (!strcmp(optarg, "on") || !strcmp(optarg, "off")) {
                user_cache_mb = !strcmp(optarg, "on") ? -1 : 0;
                break;
            }
            if (fw_cli_number("user-cache", optarg, 1, 1 << 20, &v) != 0)
                return 2; /* neither on, off nor a size in MB */
            user_cache_mb = (int64_t)v;
            break;
        case 'P':
            if (fw_cli_number("oauth-pending-max", optarg, FW_OAUTH_PENDING_MIN, FW_OAUTH_PENDING_LIMIT, &v) != 0)
                return 2;
            ac.oauth_pending_max = (size_t)v;
            break;
        case 'a':
            if (strcmp(optarg, "auto") && strcmp(optarg, "manual")) {
                fw_cli_err("--portal-approval takes auto or manual");
                return 2;
            }
            ac.portal_approval = !strcmp(optarg, "auto") ? FW_PORTAL_AUTO : FW_PORTAL_MANUAL;
            break;
        case 'M':
            if (fw_cli_size("db-max-size", optarg, MIN_DB_SIZE, MAX_DB_SIZE, &v) != 0)
                return 2;
            so.map_size = (size_t)v;
            break;
        case 'N':
            if (fw_cli_number("db-pool", optarg, 1, 64, &v) != 0)
                return 2;
            so.pool = (unsigned)v;
            break;
        case 'W':
            if (fw_cli_number("db-timeout", optarg, 100, MAX_TIMEOUT_MS, &v) != 0)
                return 2;
            so.timeout_ms = (unsigned)v;
            break;
        case 'Q':
            if (fw_cli_number("db-queue", optarg, 1, 1000000, &v) != 0)
                return 2;
            so.queue_max = (unsigned)v;
            break;
        case 0x101:
            if (so.nreplicas == sizeof replicas / sizeof replicas[0] || !fw_store_is_uri(optarg)) {
                fprintf(stderr, "followd: --db-replica takes a PostgreSQL URI, at most 8 times\n");
                return 2;
            }
            replicas[so.nreplicas++] = optarg;
            so.replicas = replicas;
            break;
        case 0x102: so.no_prepare = true; break;
        case 'I': intercept = true; break;
        case 'S': icpt_https = optarg; icpt_addr = true; break;
        case 'H': icpt_http = optarg; icpt_addr = true; break;
        case 'X': proxy = true; break;
        case 'D': tls_dir = optarg; break;
        default: fputs(serve_usage, stderr); return 2;
        }
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    uint64_t ram = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
    so.user_cache = user_cache_mb >= 0 ? (size_t)user_cache_mb << 20 : (size_t)(ram / USER_CACHE_RAM_SHARE);
    so.user_cache_prefill = so.user_cache != 0;
    if (cache_mb) {
        fw_rcache_configure((size_t)cache_mb << 20);
    } else {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned threads = hc.threads ? (unsigned)hc.threads : cpus > 0 ? (unsigned)cpus : 1;
        fw_rcache_configure(ram ? fw_rcache_default_bytes(ram, threads) : FW_RCACHE_MIN_BYTES);
    }
    if (!!hc.tls_cert != !!hc.tls_key) {
        fw_cli_err("--tls-cert and --tls-key go together");
        return 2;
    }
    if (icpt_addr && !intercept) {
        fw_cli_err("--intercept-https and --intercept-http go with --intercept");
        return 2;
    }
    if (tls_dir && !intercept && !proxy) {
        fw_cli_err("--tls-dir goes with --intercept or --proxy");
        return 2;
    }
    /* the --listen listener first; it is TLS only with --tls-cert outside intercept/proxy mode */
    hc.listeners[hc.nlisteners++] = (fw_http_listener){hc.listen, hc.tls_cert && !intercept && !proxy};
    if (intercept) {
        hc.listeners[hc.nlisteners++] = (fw_http_listener){icpt_https, true};
        if (*icpt_http)
            hc.listeners[hc.nlisteners++] = (fw_http_listener){icpt_http, false};
    }
    hc.proxy = proxy;
    char cert[4096], key[4096];
    if ((intercept || proxy) && !hc.tls_cert) {
        if (local_identity(tls_dir, cert, key, sizeof cert) != 0)
            return 1;
        hc.tls_cert = cert;
        hc.tls_key = key;
    }
    fw_store *s = fw_cli_open_opts(&so);
    if (!s)
        return 1;
    fw_api *api = NULL;
    char err[256] = "cannot initialise the API";
    if (fw_api_new(&ac, s, &api, err, sizeof err) != 0) {
        fw_cli_err("%s", err);
        fw_store_close(s);
        return 1;
    }
    serve_ready ready = {&hc, intercept, proxy};
    hc.on_ready = on_ready;
    hc.on_ready_ctx = &ready;
    int rc = fw_http_serve(&hc, api);
    fw_api_free(api);
    fw_store_close(s);
    return rc == 0 ? 0 : 1;
}
