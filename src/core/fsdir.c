/* mkdir -p; see fsdir.h. */
#include "core/fsdir.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int fw_mkdirs(const char *path, mode_t mode)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return FW_EINVAL;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return FW_EIO;
        buf[i] = c;
    }
    return FW_OK;
}
