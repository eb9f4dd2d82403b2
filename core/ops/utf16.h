/* UTF-16LE/BE decoding as the WHATWG Encoding Standard has it (§14.3), for TextDecoder. */
#ifndef SKI_OPS_UTF16_H
#define SKI_OPS_UTF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes in[0..n) into UTF-16 code units at out (room for n + 2 units), carrying a
 * streaming state across calls: state[0] is a pending lead byte, state[1] a pending
 * lead surrogate (-1: none; both -1 to start). Unpaired surrogates and a truncated end
 * (when `flush`) become U+FFFD, or, when `fatal`, make it return -1 (the state is then
 * reset). Returns the number of units written. */
ptrdiff_t ski_utf16_decode(const uint8_t *in, size_t n, bool big_endian, bool fatal, bool flush,
                           int32_t state[2], uint16_t *out);

#ifdef __cplusplus
}
#endif
#endif
