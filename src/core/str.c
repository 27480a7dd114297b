/* Borrowed string helpers; see str.h. */
#include "core/str.h"

#include <ctype.h>
#include <stdlib.h>

bool fw_str_ieq(fw_str a, const char *lit)
{
    size_t n = strlen(lit);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a.p[i]) != tolower((unsigned char)lit[i]))
            return false;
    return true;
}

int fw_str_to_id(fw_str s, uint64_t *out)
{
    if (s.len < 1 || s.len > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s.p[i] - '0'); /* 19 digits cannot overflow */
    }
    *out = v;
    return 0;
}

char *fw_str_dup(fw_str s)
{
    char *p = malloc(s.len + 1);
    if (!p)
        abort();
    if (s.len)
        memcpy(p, s.p, s.len);
    p[s.len] = 0;
    return p;
}
