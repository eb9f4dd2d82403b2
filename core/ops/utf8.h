/* UTF-8 checks the JS layer needs natively (TextDecoder's `fatal` mode). */
#ifndef SKI_OPS_UTF8_H
#define SKI_OPS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True if bytes[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool ski_utf8_valid(const uint8_t *bytes, size_t len);

#ifdef __cplusplus
}
#endif
#endif
