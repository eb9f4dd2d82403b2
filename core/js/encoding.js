// encoding.js: TextEncoder and TextDecoder (WHATWG Encoding §8), UTF-8 only for now.
// The byte work is native: ops.utf8Encode / ops.utf8Decode. What stays here is the
// WebIDL surface, label handling and the streaming state of a decoder.

function utf8Encode(string) {
  return ops.utf8Encode(string);
}

// "UTF-8 decode" (Encoding §4.2): strips a leading BOM, replaces errors with U+FFFD.
function utf8Decode(bytes) {
  return ops.utf8Decode(bytes, false, false);
}

class TextEncoder {
  // Only a brand: a TextEncoder has no state.
  #brand = true;

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#brand in self)) {
      throw illegalInvocation(prefix);
    }
  }

  get encoding() {
    TextEncoder.#check(this, "Failed to read the 'encoding' property from 'TextEncoder'");
    return "utf-8";
  }

  encode(input = "") {
    const prefix = executePrefix("TextEncoder", "encode");
    TextEncoder.#check(this, prefix);
    // USVString conversion: ops.utf8Encode itself turns lone surrogates into U+FFFD.
    return utf8Encode(toDOMString(input, prefix, "The input"));
  }

  encodeInto(source, destination) {
    const prefix = executePrefix("TextEncoder", "encodeInto");
    TextEncoder.#check(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    source = toDOMString(source, prefix, "The source");
    if (!isUint8Array(destination)) {
      throw new TypeError(`${prefix}: parameter 2 is not of type 'Uint8Array'.`);
    }
    // Encodes whole code points while they fit (Encoding §8.2.1 "encodeInto").
    const capacity = TypedArrayPrototypeGetLength(destination);
    const length = source.length;
    let read = 0;
    let written = 0;
    while (read < length) {
      let code = StringPrototypeCharCodeAt(source, read);
      let units = 1;
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = read + 1 < length ? StringPrototypeCharCodeAt(source, read + 1) : 0;
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          units = 2;
        } else {
          code = 0xfffd; // lone surrogate
        }
      }
      if (code < 0x80) {
        if (written + 1 > capacity) break;
        destination[written++] = code;
      } else if (code < 0x800) {
        if (written + 2 > capacity) break;
        destination[written++] = 0xc0 | (code >> 6);
        destination[written++] = 0x80 | (code & 0x3f);
      } else if (code < 0x10000) {
        if (written + 3 > capacity) break;
        destination[written++] = 0xe0 | (code >> 12);
        destination[written++] = 0x80 | ((code >> 6) & 0x3f);
        destination[written++] = 0x80 | (code & 0x3f);
      } else {
        if (written + 4 > capacity) break;
        destination[written++] = 0xf0 | (code >> 18);
        destination[written++] = 0x80 | ((code >> 12) & 0x3f);
        destination[written++] = 0x80 | ((code >> 6) & 0x3f);
        destination[written++] = 0x80 | (code & 0x3f);
      }
      read += units;
    }
    return { read, written };
  }
}

setToStringTag(TextEncoder.prototype, "TextEncoder");

// Encoding §4.2 "get an encoding": the labels of UTF-8. Other encodings come later.
const UTF8_LABELS = [
  "unicode-1-1-utf-8",
  "unicode11utf8",
  "unicode20utf8",
  "utf-8",
  "utf8",
  "x-unicode20utf8",
];

// Strips leading and trailing ASCII whitespace (TAB, LF, FF, CR, SPACE).
function trimASCIIWhitespace(string) {
  const isSpace = (code) =>
    code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d || code === 0x20;
  let start = 0;
  let end = string.length;
  while (start < end && isSpace(StringPrototypeCharCodeAt(string, start))) start++;
  while (end > start && isSpace(StringPrototypeCharCodeAt(string, end - 1))) end--;
  return StringPrototypeSlice(string, start, end);
}

// How many bytes at the end of `bytes` are the valid start of a UTF-8 sequence that the
// next chunk may complete (0 to 3). Used by decode({ stream: true }) to hold them back.
// A truncated sequence that is already invalid (e.g. E0 80) is not held back: it decodes
// to U+FFFD now, exactly as it would later.
function incompleteUTF8Tail(bytes, length) {
  for (let back = 1; back <= 3 && back <= length; back++) {
    const byte = bytes[length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    let needed;
    if (byte >= 0xc2 && byte <= 0xdf) needed = 2;
    else if (byte >= 0xe0 && byte <= 0xef) needed = 3;
    else if (byte >= 0xf0 && byte <= 0xf4) needed = 4;
    else return 0; // ASCII or a byte that never starts a sequence
    if (back >= needed) return 0; // the last sequence is complete
    if (back >= 2) {
      // Encoding §4.2's UTF-8 decoder narrows the second byte's range for these leads.
      const second = bytes[length - back + 1];
      let lower = 0x80;
      let upper = 0xbf;
      if (byte === 0xe0) lower = 0xa0;
      else if (byte === 0xed) upper = 0x9f;
      else if (byte === 0xf0) lower = 0x90;
      else if (byte === 0xf4) upper = 0x8f;
      if (second < lower || second > upper) return 0;
    }
    return back;
  }
  return 0;
}

class TextDecoder {
  #fatal;
  #ignoreBOM;
  // Streaming state (Encoding §8.1.3): bytes of an unfinished sequence, and whether bytes
  // were already decoded in this stream, after which a BOM is content, not a marker.
  #pending = null;
  #started = false;

  constructor(label = "utf-8", options = undefined) {
    const prefix = constructPrefix("TextDecoder");
    label = toDOMString(label, prefix, "The label");
    options = toDictionary(options, prefix, "TextDecoderOptions");
    const fatal = !!options.fatal;
    const ignoreBOM = !!options.ignoreBOM;
    if (!ArrayPrototypeIncludes(UTF8_LABELS, StringPrototypeToLowerCase(trimASCIIWhitespace(label)))) {
      throw new RangeError(
        `${prefix}: The encoding label provided ('${label}') is invalid or not supported ` +
          "(this runtime's TextDecoder decodes UTF-8 only).",
      );
    }
    this.#fatal = fatal;
    this.#ignoreBOM = ignoreBOM;
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#fatal in self)) {
      throw illegalInvocation(prefix);
    }
  }

  get encoding() {
    TextDecoder.#check(this, "Failed to read the 'encoding' property from 'TextDecoder'");
    return "utf-8";
  }

  get fatal() {
    TextDecoder.#check(this, "Failed to read the 'fatal' property from 'TextDecoder'");
    return this.#fatal;
  }

  get ignoreBOM() {
    TextDecoder.#check(this, "Failed to read the 'ignoreBOM' property from 'TextDecoder'");
    return this.#ignoreBOM;
  }

  decode(input = undefined, options = undefined) {
    const prefix = executePrefix("TextDecoder", "decode");
    TextDecoder.#check(this, prefix);
    let view;
    if (input === undefined) {
      view = new Uint8Array(0);
    } else {
      view = bufferSourceView(input);
      if (view === undefined) {
        throw new TypeError(
          `${prefix}: parameter 1 is not of type '(ArrayBuffer or ArrayBufferView)'.`,
        );
      }
      // Memory another thread may write to is copied before native code reads it.
      if (isSharedArrayBuffer(TypedArrayPrototypeGetBuffer(view))) view = copyBytes(view);
    }
    options = toDictionary(options, prefix, "TextDecodeOptions");
    const stream = !!options.stream;

    // Join the bytes held back by the previous call with this chunk.
    let bytes = view;
    const pending = this.#pending;
    if (pending !== null) {
      const viewLength = TypedArrayPrototypeGetLength(view);
      bytes = new Uint8Array(pending.length + viewLength);
      TypedArrayPrototypeSet(bytes, pending);
      TypedArrayPrototypeSet(bytes, view, pending.length);
      this.#pending = null;
    }
    let length = TypedArrayPrototypeGetLength(bytes);
    if (stream) {
      const tail = incompleteUTF8Tail(bytes, length);
      if (tail > 0) {
        this.#pending = copyBytes(new Uint8Array(TypedArrayPrototypeGetBuffer(bytes),
          TypedArrayPrototypeGetByteOffset(bytes) + length - tail, tail));
        length -= tail;
        bytes = new Uint8Array(TypedArrayPrototypeGetBuffer(bytes),
          TypedArrayPrototypeGetByteOffset(bytes), length);
      }
    }

    // ops.utf8Decode strips a leading BOM unless told not to; mid-stream a BOM is content.
    const keepBOM = this.#ignoreBOM || this.#started;
    let text = "";
    if (length > 0) {
      this.#started = true;
      try {
        text = ops.utf8Decode(bytes, this.#fatal, keepBOM);
      } catch (error) {
        this.#reset();
        if (this.#fatal && error instanceof TypeError) {
          throw new TypeError(`${prefix}: The encoded data was not valid UTF-8.`);
        }
        throw error;
      }
    }
    if (!stream) this.#reset(); // end of stream: the next call starts a new one
    return text;
  }

  #reset() {
    this.#pending = null;
    this.#started = false;
  }
}

setToStringTag(TextDecoder.prototype, "TextDecoder");
