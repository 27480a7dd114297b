/* The local CA and server certificate of intercept/proxy modes; see tlsid.h. */
#include "cli/tlsid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/fsdir.h"
#include "core/xhosts.h"

#define CA_DAYS 3650
#define SERVER_DAYS 825 /* the longest validity clients that cap it (Apple) accept */
#define RENEW_DAYS 30
#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
/* Java reads a certificate-only PKCS12 entry as trusted only with this
 * attribute (Oracle's "trusted key usage", value anyExtendedKeyUsage). */
#define JDK_TRUST_OID "2.16.840.1.113894.746875.1.1"
#define ANY_EKU_OID "2.5.29.37.0"

static void set_err(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    unsigned long e = ERR_get_error();
    if (e && n >= 0 && (size_t)n < cap) {
        char buf[200];
        ERR_error_string_n(e, buf, sizeof buf);
        snprintf(err + n, cap - (size_t)n, ": %s", buf);
    }
    ERR_clear_error();
}

int fw_tlsid_default_dir(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(out, cap, "%s/followd/tls", xdg);
    else if (home && *home)
        n = snprintf(out, cap, "%s/.local/share/followd/tls", home);
    else
        return -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int fw_tlsid_path(const char *dir, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int make_dirs(const char *dir, char *err, size_t errcap)
{
    int rc = fw_mkdirs(dir, 0700);
    if (rc != FW_OK)
        set_err(err, errcap, "cannot create %s: %s", dir, rc == FW_EIO ? strerror(errno) : "invalid path");
    return rc == FW_OK ? 0 : -1;
}

/* Writes a file through a temporary beside it (mode `mode`), then renames it
 * into place, so a reader never sees half a key or certificate. */
typedef int (*write_fn)(FILE *f, void *ctx);

static int write_file(const char *path, mode_t mode, write_fn fn, void *ctx, char *err, size_t errcap)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        set_err(err, errcap, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        set_err(err, errcap, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = fn(f, ctx) == 0;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        set_err(err, errcap, "cannot write %s: %s", path, errno ? strerror(errno) : "write failed");
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int put_key(FILE *f, void *k)
{
    return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1 ? 0 : -1;
}

struct chain {
    X509 *a, *b; /* b may be NULL */
};

static int put_chain(FILE *f, void *p)
{
    struct chain *c = p;
    if (PEM_write_X509(f, c->a) != 1)
        return -1;
    return c->b && PEM_write_X509(f, c->b) != 1 ? -1 : 0;
}

/* Reads a certificate and a private key (either may come back NULL). */
static void load_pair(const char *cert_path, const char *key_path, X509 **cert, EVP_PKEY **key)
{
    FILE *f = fopen(cert_path, "rb");
    *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(key_path, "rb");
    *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    ERR_clear_error();
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e)
        return -1;
    int rc = X509_add_ext(x, e, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(e);
    return rc;
}

/* "DNS:a,DNS:b,...,IP:127.0.0.1,IP:::1" from the host table. */
static int san_list(char *out, size_t cap)
{
    size_t n = 0;
    for (const char *const *h = fw_x_hosts; *h; h++) {
        int w = snprintf(out + n, cap - n, "DNS:%s,", *h);
        if (w < 0 || (size_t)w >= cap - n)
            return -1;
        n += (size_t)w;
    }
    int w = snprintf(out + n, cap - n, "DNS:localhost,IP:127.0.0.1,IP:::1");
    return w < 0 || (size_t)w >= cap - n ? -1 : 0;
}

/* A certificate for `key`, signed by (ca, ca_key) or self-signed when ca is NULL. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key, bool is_ca)
{
    X509 *x = X509_new();
    BIGNUM *bn = BN_new();
    unsigned char serial[16];
    bool ok = x && bn && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7f; /* positive, as RFC 5280 wants */
        ok = BN_bin2bn(serial, sizeof serial, bn) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
             X509_set_version(x, 2) == 1 && X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
             X509_time_adj_ex(X509_getm_notAfter(x), is_ca ? CA_DAYS : SERVER_DAYS, 0, NULL) &&
             X509_set_pubkey(x, key) == 1;
    }
    X509_NAME *name = ok ? X509_get_subject_name(x) : NULL;
    ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"followd", -1, -1, 0) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
         X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name) == 1;
    X509 *issuer = ca ? ca : x;
    char san[1024];
    if (ok && is_ca)
        ok = add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
             add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
    else if (ok)
        ok = san_list(san, sizeof san) == 0 && add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
             add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") == 0 &&
             add_ext(x, issuer, NID_ext_key_usage, "serverAuth") == 0 &&
             add_ext(x, issuer, NID_subject_alt_name, san) == 0;
    ok = ok && add_ext(x, issuer, NID_subject_key_identifier, "hash") == 0 &&
         add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") == 0 &&
         X509_sign(x, ca_key ? ca_key : key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* True if the certificate names every host of the table. */
static bool names_all_hosts(X509 *x)
{
    for (const char *const *h = fw_x_hosts; *h; h++)
        if (X509_check_host(x, *h, 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) != 1)
            return false;
    return X509_check_host(x, "localhost", 0, 0, NULL) == 1 && X509_check_ip_asc(x, "127.0.0.1", 0) == 1 &&
           X509_check_ip_asc(x, "::1", 0) == 1;
}

/* The server certificate is usable: signed by ca, key matches, not near expiry, names complete. */
static bool server_ok(X509 *cert, EVP_PKEY *key, X509 *ca)
{
    if (!cert || !key || X509_check_private_key(cert, key) != 1)
        return false;
    EVP_PKEY *capub = X509_get0_pubkey(ca);
    if (!capub || X509_verify(cert, capub) != 1)
        return false;
    time_t soon = time(NULL) + (time_t)RENEW_DAYS * 86400;
    if (X509_cmp_time(X509_get0_notAfter(cert), &soon) <= 0)
        return false;
    return names_all_hosts(cert);
}

static int put_bundle(FILE *f, void *ca)
{
    FILE *sys = fopen(SYSTEM_BUNDLE, "rb");
    if (sys) {
        char buf[8192];
        size_t n;
        int last = '\n';
        while ((n = fread(buf, 1, sizeof buf, sys)) > 0) {
            if (fwrite(buf, 1, n, f) != n) {
                fclose(sys);
                return -1;
            }
            last = (unsigned char)buf[n - 1];
        }
        fclose(sys);
        if (last != '\n')
            fputc('\n', f);
    }
    fputs("# followd local CA\n", f);
    return PEM_write_X509(f, ca) == 1 ? 0 : -1;
}

static int put_p12(FILE *f, void *p12)
{
    return i2d_PKCS12_fp(f, p12) == 1 ? 0 : -1;
}

/* A PKCS12 trust store holding ca as a trusted certificate entry. */
static PKCS12 *make_truststore(X509 *ca)
{
    STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
    STACK_OF(PKCS7) *safes = NULL;
    PKCS12 *p12 = NULL;
    ASN1_OBJECT *any = OBJ_txt2obj(ANY_EKU_OID, 1);
    PKCS12_SAFEBAG *bag = any ? PKCS12_add_cert(&bags, ca) : NULL;
    if (bag && PKCS12_add_friendlyname_asc(bag, "followd-local-ca", -1) == 1 &&
        PKCS12_add1_attr_by_txt(bag, JDK_TRUST_OID, V_ASN1_OBJECT, (const unsigned char *)any, -1) == 1 &&
        PKCS12_add_safe(&safes, bags, -1, 0, NULL) == 1 && (p12 = PKCS12_add_safes(safes, 0)) != NULL &&
        PKCS12_set_mac(p12, FW_TLS_P12_PASS, -1, NULL, 0, 10000, EVP_sha256()) != 1) {
        PKCS12_free(p12);
        p12 = NULL;
    }
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    sk_PKCS7_pop_free(safes, PKCS7_free);
    ASN1_OBJECT_free(any);
    return p12;
}

int fw_tlsid_init(const char *dir, bool *created_ca, bool *created_server, char *err, size_t errcap)
{
    char ca_pem[4096], ca_key[4096], srv_pem[4096], srv_key[4096], bundle[4096], p12path[4096];
    *created_ca = *created_server = false;
    if (fw_tlsid_path(dir, "ca.pem", ca_pem, sizeof ca_pem) || fw_tlsid_path(dir, "ca.key", ca_key, sizeof ca_key) ||
        fw_tlsid_path(dir, "server.pem", srv_pem, sizeof srv_pem) ||
        fw_tlsid_path(dir, "server.key", srv_key, sizeof srv_key) ||
        fw_tlsid_path(dir, "bundle.pem", bundle, sizeof bundle) ||
        fw_tlsid_path(dir, "truststore.p12", p12path, sizeof p12path)) {
        set_err(err, errcap, "directory name too long");
        return -1;
    }
    if (make_dirs(dir, err, errcap) != 0)
        return -1;
    int rc = -1;
    EVP_PKEY *cakey, *skey = NULL;
    X509 *ca, *scert = NULL;
    PKCS12 *p12 = NULL;
    load_pair(ca_pem, ca_key, &ca, &cakey);
    if (!cakey != !ca || (ca && X509_check_private_key(ca, cakey) != 1)) {
        /* half a CA, or a key of another certificate: never overwrite what may be trusted somewhere */
        set_err(err, errcap, "%s and %s do not belong together; move them away to create a new CA", ca_pem, ca_key);
        goto out;
    }
    if (!ca) {
        char host[256] = "localhost", cn[320];
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = 0;
        snprintf(cn, sizeof cn, "followd local CA (%.200s)", host);
        if (!(cakey = EVP_EC_gen("P-256")) || !(ca = make_cert(cakey, cn, NULL, NULL, true))) {
            set_err(err, errcap, "cannot create the CA");
            goto out;
        }
        if (write_file(ca_key, 0600, put_key, cakey, err, errcap) != 0)
            goto out;
        struct chain c = {ca, NULL};
        if (write_file(ca_pem, 0644, put_chain, &c, err, errcap) != 0)
            goto out;
        *created_ca = true;
    }
    load_pair(srv_pem, srv_key, &scert, &skey);
    if (!server_ok(scert, skey, ca)) {
        EVP_PKEY_free(skey);
        X509_free(scert);
        scert = NULL;
        if (!(skey = EVP_EC_gen("P-256")) || !(scert = make_cert(skey, fw_x_hosts[0], ca, cakey, false))) {
            set_err(err, errcap, "cannot create the server certificate");
            goto out;
        }
        struct chain c = {scert, ca};
        if (write_file(srv_key, 0600, put_key, skey, err, errcap) != 0 ||
            write_file(srv_pem, 0644, put_chain, &c, err, errcap) != 0)
            goto out;
        *created_server = true;
    }
    if (!(p12 = make_truststore(ca))) {
        set_err(err, errcap, "cannot create the PKCS12 trust store");
        goto out;
    }
    if (write_file(bundle, 0644, put_bundle, ca, err, errcap) != 0 ||
        write_file(p12path, 0644, put_p12, p12, err, errcap) != 0)
        goto out;
    /* keys kept from an earlier run stay readable by their owner only */
    if (chmod(ca_key, 0600) != 0 || chmod(srv_key, 0600) != 0) {
        set_err(err, errcap, "cannot restrict the key files: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    PKCS12_free(p12);
    EVP_PKEY_free(cakey);
    EVP_PKEY_free(skey);
    X509_free(ca);
    X509_free(scert);
    return rc;
}
