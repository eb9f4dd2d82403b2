// whatwg-url's lib/encoding.js, with an ASCII fast path: the percent-encoder UTF-8 encodes
// every code point it looks at, and a native call per character dominated parse time.
"use strict";
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function utf8Encode(string) {
  const length = string.length;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const code = string.charCodeAt(i);
    if (code >= 0x80) return utf8Encoder.encode(string);
    bytes[i] = code;
  }
  return bytes;
}

function utf8DecodeWithoutBOM(bytes) {
  return utf8Decoder.decode(bytes);
}

module.exports = { utf8Encode, utf8DecodeWithoutBOM };
