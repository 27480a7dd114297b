/* The project's one set of error codes. Every fallible function returns FW_OK
 * (0) or one of these negative values, whatever its layer; outcomes that are
 * not failures (a rate-limit refusal, a password that does not match) are
 * reported through out-parameters instead. LMDB and errno codes never leave
 * src/store/: the backend translates them in one place (fw_lmdb_err). */
#ifndef FW_CORE_ERR_H
#define FW_CORE_ERR_H

/* A result the caller must look at (pgbouncer's _MUSTCHECK). */
#if defined(__GNUC__) || defined(__clang__)
#define FW_MUSTCHECK __attribute__((warn_unused_result))
#else
#define FW_MUSTCHECK
#endif

enum fw_err {
    FW_OK = 0,
    FW_ENOTFOUND = -1,      /* the subject of the operation does not exist (or expired) */
    FW_EEXISTS = -2,        /* unique key taken (username, consumer key, live entry, ...) */
    FW_EINVAL = -3,         /* the request itself is invalid (bad argument, self-follow) */
    FW_EIO = -4,            /* storage failure; the operation had no effect */
    FW_EFULL = -5,          /* a size limit or cap was reached; no effect */
    FW_ESUSPENDED = -6,     /* the target user is suspended */
    FW_ETARGET = -7,        /* the target (second) user does not exist */
    FW_ESHUTDOWN = -8,      /* the store or queue is closing; no effect */
    FW_ENOMEM = -9,         /* allocation failed; no effect */
    FW_ESPACE = -10,        /* the caller's output buffer is too small */
    FW_EBUSY = -11,         /* too much work queued: try again later (503) */
    FW_ECRYPTO = -12,       /* the crypto library or system RNG failed */
    FW_EUNAUTHORIZED = -13, /* missing, malformed, unknown, expired or revoked credentials */
    FW_EMALFORMED = -14,    /* input does not parse (encoding, header, JSON) or exceeds a limit */
    FW_EDUP = -15,          /* one parameter name with two different values */
    FW_ELIMIT = -16,        /* too many parameters, or one too long */
    FW_EMETHOD = -17,       /* OAuth 1.0a: oauth_signature_method other than HMAC-SHA1 */
    FW_EVERSION = -18,      /* OAuth 1.0a: oauth_version present and not "1.0" */
    FW_ETIMESTAMP = -19,    /* OAuth 1.0a: oauth_timestamp outside the window */
    FW_ENONCE = -20,        /* OAuth 1.0a: nonce malformed or replayed */
    FW_ESIGNATURE = -21,    /* OAuth 1.0a: signature matches no base URL */
    FW_EMISSING = -22,      /* OAuth 1.0a: a required oauth_ parameter is absent */
    FW_ENOTSUP = -23,       /* the store backend does not offer this operation */
};
/* The lowest (most negative) code; every code lies in FW_ERR_MIN..FW_OK. */
#define FW_ERR_MIN FW_ENOTSUP

/* A short English description of rc ("ok" for FW_OK); never NULL, a static
 * string. Codes outside the set give "unknown error". */
const char *fw_strerror(int rc);

#endif
