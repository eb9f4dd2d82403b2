/* Base64 as the Web platform has it (atob/btoa, HTML "forgiving-base64"). */
#ifndef SKI_OPS_BASE64_H
#define SKI_OPS_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes needed to encode n bytes (with padding). */
size_t ski_base64_encoded_len(size_t n);
/* Writes the padded encoding of in[0..n) to out (ski_base64_encoded_len(n) bytes). */
void ski_base64_encode(const uint8_t *in, size_t n, char *out);

/* Forgiving-base64 decode (WHATWG Infra): ASCII whitespace is ignored; padding is
 * optional but, when present, must be right; a length of 1 mod 4 is invalid. Writes at
 * most n * 3 / 4 bytes to out and their count to *out_len. False if `in` is invalid. */
bool ski_base64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
