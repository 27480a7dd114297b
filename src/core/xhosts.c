/* The host names of X's API and OAuth pages; see xhosts.h. */
#include "core/xhosts.h"

#include <strings.h>

const char *const fw_x_hosts[] = {
    "api.x.com", "api.twitter.com", "x.com", "twitter.com", "upload.twitter.com", "upload.x.com", "developer.x.com",
    NULL,
};

bool fw_x_host_match(const char *a, size_t len, int *port)
{
    *port = 0;
    size_t hlen = len;
    for (size_t i = 0; i < len; i++)
        if (a[i] == ':') {
            hlen = i;
            break;
        }
    if (hlen < len) {
        size_t plen = len - hlen - 1;
        long v = 0;
        if (plen == 0 || plen > 5)
            *port = -1;
        for (size_t i = hlen + 1; i < len && *port == 0; i++) {
            if (a[i] < '0' || a[i] > '9') {
                *port = -1;
                break;
            }
            v = v * 10 + (a[i] - '0');
        }
        if (*port == 0)
            *port = v >= 1 && v <= 65535 ? (int)v : -1;
        if (*port < 0)
            return false;
    }
    if (hlen && a[hlen - 1] == '.')
        hlen--;
    for (const char *const *h = fw_x_hosts; *h; h++) {
        size_t n = 0;
        while ((*h)[n])
            n++;
        if (n == hlen && strncasecmp(*h, a, n) == 0)
            return true;
    }
    return false;
}
