/* Wall clock with an optional test offset.
 *
 * Every part of followd that cares about time (token expiry, rate-limit
 * windows, created_at) reads fw_now_ms(); `serve --test-clock` lets tests move
 * it forward with fw_clock_advance() instead of sleeping. Thread-safe. */
#ifndef FW_CORE_CLOCK_H
#define FW_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Milliseconds since the Unix epoch, plus the test offset. */
int64_t fw_now_ms(void);
/* Moves the clock forward by ms milliseconds (tests only). */
void fw_clock_advance(int64_t ms);
/* Formats ms-since-epoch as X does: 2020-01-01T00:00:00.000Z (25 bytes incl. NUL);
 * ms outside years 1970..9999 is clamped to that range. */
void fw_iso8601(int64_t ms, char out[32]);
/* Parses what fw_iso8601 writes, YYYY-MM-DDTHH:MM:SS[.fff]Z (1 to 3 fraction
 * digits; years 1970..9999), into ms since the epoch. FW_OK or FW_EINVAL for
 * anything else (an offset other than Z, an impossible date). */
FW_MUSTCHECK int fw_iso8601_parse(const char *s, size_t n, int64_t *ms);

#endif
