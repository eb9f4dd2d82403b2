#include "utf16.h"

ptrdiff_t ski_utf16_decode(const uint8_t *in, size_t n, bool big_endian, bool fatal, bool flush,
                           int32_t state[2], uint16_t *out) {
  int32_t lead = state[0], surrogate = state[1];
  ptrdiff_t count = 0;
  for (size_t i = 0; i < n; i++) {
    if (lead < 0) {
      lead = in[i];
      continue;
    }
    uint16_t unit = big_endian ? (uint16_t)(lead << 8 | in[i]) : (uint16_t)(in[i] << 8 | lead);
    lead = -1;
    if (surrogate >= 0) {
      uint16_t high = (uint16_t)surrogate;
      surrogate = -1;
      if (unit >= 0xDC00 && unit <= 0xDFFF) {
        out[count++] = high;
        out[count++] = unit;
        continue;
      }
      if (fatal) goto error; /* the unpaired lead surrogate; `unit` is then new input */
      out[count++] = 0xFFFD;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      surrogate = unit;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      if (fatal) goto error;
      out[count++] = 0xFFFD;
    } else {
      out[count++] = unit;
    }
  }
  if (flush && (lead >= 0 || surrogate >= 0)) {
    lead = surrogate = -1;
    if (fatal) goto error;
    out[count++] = 0xFFFD;
  }
  state[0] = lead;
  state[1] = surrogate;
  return count;
error:
  state[0] = state[1] = -1;
  return -1;
}
