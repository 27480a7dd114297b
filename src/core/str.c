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

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t skip_ows(fw_str s, size_t i)
{
    while (i < s.len && (s.p[i] == ' ' || s.p[i] == '\t'))
        i++;
    return i;
}

static size_t skip_token(fw_str s, size_t i)
{
    while (i < s.len && is_tchar((unsigned char)s.p[i]))
        i++;
    return i;
}

bool fw_media_type_is(fw_str ct, const char *type)
{
    size_t n = strlen(type), i = skip_ows(ct, 0);
    if (ct.len - i < n || !fw_str_ieq((fw_str){ct.p + i, n}, type))
        return false;
    i = skip_ows(ct, i + n);
    while (i < ct.len) {
        if (ct.p[i] != ';')
            return false;
        i = skip_ows(ct, i + 1);
        if (i == ct.len) /* a trailing ';' is tolerated, as most servers do */
            break;
        size_t name = i;
        i = skip_token(ct, i);
        if (i == name || i == ct.len || ct.p[i] != '=')
            return false;
        i++;
        if (i < ct.len && ct.p[i] == '"') {
            for (i++; i < ct.len && ct.p[i] != '"'; i++)
                if (ct.p[i] == '\\' && ++i == ct.len)
                    return false;
            if (i == ct.len)
                return false;
            i++;
        } else {
            size_t v = i;
            i = skip_token(ct, i);
            if (i == v)
                return false;
        }
        i = skip_ows(ct, i);
    }
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
