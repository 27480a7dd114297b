/* Codecs: bytes to and from text (base32hex, base64, base64url, hex).
 * All functions write into caller-provided buffers; nothing is allocated. */
#ifndef FW_CORE_CODEC_H
#define FW_CORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* base32hex (RFC 4648 "0-9A-V", upper case, no padding). Encode writes
 * ceil(n*8/5) chars plus NUL; decode returns decoded length or -1 on a bad char. */
size_t fw_b32hex_encode(const uint8_t *in, size_t n, char *out);
long fw_b32hex_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* base64url without padding; encode writes the chars plus NUL, returns length. */
size_t fw_b64url_encode(const uint8_t *in, size_t n, char *out);
/* Standard base64 with padding (HTTP Basic); decode returns length or -1. */
size_t fw_b64_encode(const uint8_t *in, size_t n, char *out);
long fw_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* Lower-case hex of n bytes plus NUL. */
void fw_hex(const uint8_t *in, size_t n, char *out);

#endif
