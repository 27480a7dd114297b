/* followd tls init|trust: the local TLS identity (cli/tlsid.h) and how each
 * ecosystem's clients are told to trust it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/tlsid.h"

static const char tls_usage[] =
    "usage: followd tls init [--dir DIR]\n"
    "       followd tls trust [--dir DIR] [--system [--remove]]\n"
    "  init        create (once) a local CA and a certificate for api.x.com, api.twitter.com, x.com,\n"
    "              twitter.com, upload.twitter.com, localhost, 127.0.0.1 and ::1 (used by serve --intercept\n"
    "              and --proxy); run again, it keeps the CA and renews the certificate only when needed\n"
    "  trust       print the environment variables and options that make each client trust the CA\n"
    "  --dir DIR   where the CA and certificate live (default $XDG_DATA_HOME/followd/tls, else\n"
    "              ~/.local/share/followd/tls)\n"
    "  --system    install the CA in the system store (" FW_TLS_SYSTEM_CA ",\n"
    "              update-ca-certificates; needs root)\n"
    "  --remove    with --system: remove it from the system store again\n";

/* Runs update-ca-certificates (found on PATH, then in /usr/sbin) and waits for it. */
static int update_ca_certificates(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fw_cli_err("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char *argv[] = {"update-ca-certificates", NULL};
        execvp(argv[0], argv);
        execv("/usr/sbin/update-ca-certificates", argv);
        fprintf(stderr, "followd: cannot run update-ca-certificates: %s\n", strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fw_cli_err("update-ca-certificates failed");
        return -1;
    }
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in) {
        fw_cli_err("cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    FILE *out = fopen(to, "wb");
    if (!out) {
        fw_cli_err("cannot write %s: %s%s", to, strerror(errno),
                   errno == EACCES || errno == EPERM ? " (installing in the system store needs root)" : "");
        fclose(in);
        return -1;
    }
    char buf[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out) != 0 || rc != 0) {
        fw_cli_err("cannot write %s", to);
        unlink(to);
        return -1;
    }
    chmod(to, 0644);
    return 0;
}

static int trust_system(const char *ca, bool remove)
{
    if (remove) {
        if (unlink(FW_TLS_SYSTEM_CA) != 0 && errno != ENOENT) {
            fw_cli_err("cannot remove %s: %s%s", FW_TLS_SYSTEM_CA, strerror(errno),
                       errno == EACCES || errno == EPERM ? " (the system store needs root)" : "");
            return 1;
        }
    } else {
        if (mkdir("/usr/local/share/ca-certificates", 0755) != 0 && errno != EEXIST) {
            fw_cli_err("cannot create /usr/local/share/ca-certificates: %s", strerror(errno));
            return 1;
        }
        if (copy_file(ca, FW_TLS_SYSTEM_CA) != 0)
            return 1;
    }
    if (update_ca_certificates() != 0)
        return 1;
    if (remove)
        printf("followd: removed the local CA from the system store\n");
    else
        printf("followd: installed %s in the system store as " FW_TLS_SYSTEM_CA "\n", ca);
    return 0;
}

static void print_trust(const char *dir)
{
    char ca[4096], bundle[4096], p12[4096];
    fw_tlsid_path(dir, "ca.pem", ca, sizeof ca);
    fw_tlsid_path(dir, "bundle.pem", bundle, sizeof bundle);
    fw_tlsid_path(dir, "truststore.p12", p12, sizeof p12);
    printf("# followd local CA: %s\n"
           "# bundle.pem = the system's CAs + this CA, for variables that replace the default trust.\n"
           "# Python requests / tweepy:\n"
           "export REQUESTS_CA_BUNDLE='%s'\n"
           "# Node (twitter-api-v2, got, axios):\n"
           "export NODE_EXTRA_CA_CERTS='%s'\n"
           "# curl, OpenSSL, Python's ssl module, Ruby:\n"
           "export SSL_CERT_FILE='%s'\n"
           "export CURL_CA_BUNDLE='%s'\n"
           "# Java (PKCS12 trust store):\n"
           "export JAVA_TOOL_OPTIONS='-Djavax.net.ssl.trustStore=%s -Djavax.net.ssl.trustStoreType=PKCS12 "
           "-Djavax.net.ssl.trustStorePassword=" FW_TLS_P12_PASS "'\n"
           "# newman:   newman run COLLECTION --ssl-extra-ca-certs '%s'\n"
           "# curl:     curl --cacert '%s' https://api.x.com/2/users/me\n"
           "# anything else: sudo followd tls trust --system --dir '%s' (--system --remove undoes it)\n",
           ca, bundle, ca, bundle, bundle, p12, ca, ca, dir);
}

int fw_cli_tls(int argc, char **argv)
{
    int u = fw_cli_usage(argc, argv, tls_usage);
    if (u >= 0)
        return u;
    const char *sub = argv[1];
    bool init = !strcmp(sub, "init");
    if (!init && strcmp(sub, "trust")) {
        fw_cli_err("unknown tls command '%s'", sub);
        fputs(tls_usage, stderr);
        return 2;
    }
    enum { O_DIR = 1, O_SYSTEM, O_REMOVE };
    static const struct option opts[] = {
        {"dir", required_argument, 0, O_DIR},
        {"system", no_argument, 0, O_SYSTEM},
        {"remove", no_argument, 0, O_REMOVE},
        {0, 0, 0, 0},
    };
    char dir[4096];
    const char *dirarg = NULL;
    bool system = false, remove = false;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_DIR: dirarg = optarg; break;
        case O_SYSTEM: system = true; break;
        case O_REMOVE: remove = true; break;
        default: fputs(tls_usage, stderr); return 2;
        }
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    if (init && (system || remove)) {
        fw_cli_err("--system and --remove belong to 'tls trust'");
        return 2;
    }
    if (remove && !system) {
        fw_cli_err("--remove goes with --system");
        return 2;
    }
    if (system && remove)
        return trust_system(NULL, true); /* needs no directory */
    if (dirarg) {
        if (!*dirarg || strlen(dirarg) >= sizeof dir - 32) {
            fw_cli_err("--dir takes a directory");
            return 2;
        }
        snprintf(dir, sizeof dir, "%s", dirarg);
    } else if (fw_tlsid_default_dir(dir, sizeof dir) != 0) {
        fw_cli_err("neither XDG_DATA_HOME nor HOME is set: pass --dir DIR");
        return 2;
    }
    /* trust creates the identity too, so its advice always names files that exist */
    bool new_ca, new_server;
    char err[512];
    if (fw_tlsid_init(dir, &new_ca, &new_server, err, sizeof err) != 0) {
        fw_cli_err("%s", err);
        return 1;
    }
    if (init) {
        printf("followd: %s the local CA: %s/ca.pem\n", new_ca ? "created" : "kept", dir);
        printf("followd: %s the server certificate: %s/server.pem (key %s/server.key)\n",
               new_server ? "created" : "kept", dir, dir);
        printf("followd: 'followd tls trust%s%s' prints how clients trust it\n", dirarg ? " --dir " : "",
               dirarg ? dirarg : "");
        return 0;
    }
    char ca[4096];
    fw_tlsid_path(dir, "ca.pem", ca, sizeof ca);
    if (system)
        return trust_system(ca, false);
    print_trust(dir);
    return 0;
}
