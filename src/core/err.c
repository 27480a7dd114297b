/* Descriptions of the FW_* error codes (one table, indexed by -rc). */
#include "core/err.h"

static const char *const MSG[] = {
    [-FW_OK] = "ok",
    [-FW_ENOTFOUND] = "not found",
    [-FW_EEXISTS] = "already exists",
    [-FW_EINVAL] = "invalid request",
    [-FW_EIO] = "storage failure",
    [-FW_EFULL] = "database full",
    [-FW_ESUSPENDED] = "target user is suspended",
    [-FW_ETARGET] = "target user not found",
    [-FW_ESHUTDOWN] = "store is shutting down",
    [-FW_ENOMEM] = "out of memory",
    [-FW_ESPACE] = "output buffer too small",
    [-FW_EBUSY] = "too much work queued",
    [-FW_ECRYPTO] = "cryptographic failure",
    [-FW_EUNAUTHORIZED] = "credentials rejected",
    [-FW_EMALFORMED] = "malformed input",
    [-FW_EDUP] = "duplicate parameter",
    [-FW_ELIMIT] = "too many or too long parameters",
    [-FW_EMETHOD] = "unsupported signature method",
    [-FW_EVERSION] = "unsupported OAuth version",
    [-FW_ETIMESTAMP] = "timestamp out of range",
    [-FW_ENONCE] = "bad or replayed nonce",
    [-FW_ESIGNATURE] = "signature mismatch",
    [-FW_EMISSING] = "missing OAuth parameter",
    [-FW_ENOTSUP] = "not supported by this store backend",
};
_Static_assert(sizeof MSG / sizeof MSG[0] == 1 - FW_ERR_MIN, "one message per code");

const char *fw_strerror(int rc)
{
    if (rc > FW_OK || rc < FW_ERR_MIN || !MSG[-rc])
        return "unknown error";
    return MSG[-rc];
}
