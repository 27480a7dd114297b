/* Wall clock with an optional test offset.
 *
 * Every part of followd that cares about time (token expiry, rate-limit
 * windows, created_at) reads fw_now_ms(); `serve --test-clock` lets tests move
 * it forward with fw_clock_advance() instead of sleeping. Thread-safe. */
#ifndef FW_CORE_CLOCK_H
#define FW_CORE_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, plus the test offset. */
int64_t fw_now_ms(void);
/* Moves the clock forward by ms milliseconds (tests only). */
void fw_clock_advance(int64_t ms);
/* Formats ms-since-epoch as X does: 2020-01-01T00:00:00.000Z (25 bytes incl. NUL);
 * ms outside years 1970..9999 is clamped to that range. */
void fw_iso8601(int64_t ms, char out[32]);

#endif
