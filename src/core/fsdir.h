/* Directory creation shared by the store (its database directory) and the CLI
 * (the TLS directory). */
#ifndef FW_CORE_FSDIR_H
#define FW_CORE_FSDIR_H

#include <sys/types.h>

#include "core/err.h"

/* mkdir -p: creates path and its missing parents with `mode`. FW_OK, FW_EINVAL
 * for an empty or overlong path, or FW_EIO with errno telling why. */
FW_MUSTCHECK int fw_mkdirs(const char *path, mode_t mode);

#endif
