/* Wall clock with a test offset; see clock.h. */
#include "core/clock.h"

#include <stdatomic.h>
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
