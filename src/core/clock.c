/* Wall clock with a test offset; see clock.h. */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

static _Atomic int64_t clock_offset_ms;

int64_t fw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load_explicit(&clock_offset_ms, memory_order_relaxed);
}

void fw_clock_advance(int64_t ms) { atomic_fetch_add(&clock_offset_ms, ms); }

/* X's timestamps are years 1970..9999: clamping ms to that range keeps every
 * field in its width (and ms % 1000 non-negative), which the unsigned
 * modulos below state to the compiler so that 25 bytes provably fit. */
#define ISO_MAX_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

void fw_iso8601(int64_t ms, char out[32])
{
    if (ms < 0)
        ms = 0;
    if (ms > ISO_MAX_MS)
        ms = ISO_MAX_MS;
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
             (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(ms % 1000));
}

/* Reads exactly n decimal digits at p; -1 if any is not a digit. */
static int digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = y / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

int fw_iso8601_parse(const char *s, size_t n, int64_t *ms)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (n < 20 || s[n - 1] != 'Z')
        return FW_EINVAL;
    for (size_t i = 0; i < sizeof(shape) - 1; i++)
        if (shape[i] != 'd' && s[i] != shape[i])
            return FW_EINVAL;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
        mi = digits(s + 14, 2), se = digits(s + 17, 2), frac = 0;
    size_t fl = n - 20; /* ".fff" between the seconds and the Z */
    if (fl) {
        if (fl < 2 || fl > 4 || s[19] != '.' || (frac = digits(s + 20, (int)fl - 1)) < 0)
            return FW_EINVAL;
        for (size_t k = fl - 1; k < 3; k++)
            frac *= 10;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 59)
        return FW_EINVAL;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return FW_EINVAL;
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000 + frac;
    return FW_OK;
}
