/* Length of a domain label's punycode form (RFC 3492), which decides whether
 * a label fits DNS's 63-octet limit. Mirrors punycode.js's toASCII, which
 * twitter-text uses: the input is first split at the IDNA dots (. 。 ． ｡). */
#include <stdint.h>

#include "text/text_impl.h"

enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128 };

static uint32_t adapt(uint32_t delta, uint32_t npoints, int first)
{
    delta = first ? delta / DAMP : delta / 2;
    delta += delta / npoints;
    uint32_t k = 0;
    while (delta > ((BASE - TMIN) * TMAX) / 2) {
        delta /= BASE - TMIN;
        k += BASE;
    }
    return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

/* Encoded length of one dot-free piece of code points cp[0..n). */
static size_t encoded_len(const uint32_t *cp, size_t n, size_t limit)
{
    size_t basic = 0;
    for (size_t j = 0; j < n; j++) basic += cp[j] < 0x80;
    if (basic == n) return n;
    size_t out = 4 + basic + (basic > 0); /* "xn--", basic code points, '-' */
    uint32_t cur = INITIAL_N, delta = 0, bias = INITIAL_BIAS;
    size_t h = basic;
    while (h < n) {
        uint32_t m = UINT32_MAX;
        for (size_t j = 0; j < n; j++)
            if (cp[j] >= cur && cp[j] < m) m = cp[j];
        if ((uint64_t)(m - cur) * (h + 1) > UINT32_MAX - delta) return SIZE_MAX;
        delta += (m - cur) * (uint32_t)(h + 1);
        cur = m;
        for (size_t j = 0; j < n; j++) {
            if (cp[j] < cur && ++delta == 0) return SIZE_MAX;
            if (cp[j] == cur) {
                uint32_t q = delta;
                for (uint32_t k = BASE;; k += BASE) {
                    uint32_t t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
                    if (q < t) break;
                    out++;
                    q = (q - t) / (BASE - t);
                }
                out++;
                bias = adapt(delta, (uint32_t)h + 1, h == basic);
                delta = 0;
                h++;
                if (out > limit) return out;
            }
        }
        delta++;
        cur++;
    }
    return out;
}

static int is_idna_dot(uint32_t c)
{
    return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61;
}

size_t fw_punycode_ascii_len(const char *label, size_t len, size_t limit)
{
    /* Every code point yields at least one output character, so a piece of
     * 128 or more (> limit) is too long without encoding it. */
    uint32_t cp[128];
    size_t total = 0, n = 0, i = 0;
    int pieces = 0;
    for (;;) {
        uint32_t c = 0;
        int end = i >= len;
        if (!end) c = fw_utf8_next(label, &i);
        if (end || is_idna_dot(c)) {
            size_t e = encoded_len(cp, n, limit);
            if (e == SIZE_MAX) return SIZE_MAX;
            total += e + (pieces > 0);
            pieces++;
            n = 0;
            if (total > limit) return total;
            if (end) return total;
            continue;
        }
        if (n == sizeof cp / sizeof cp[0]) return limit + 1;
        cp[n++] = c;
    }
}
