// encoding.js: TextEncoder and TextDecoder (WHATWG Encoding §8).
// UTF-8 is native (ops.utf8Encode / ops.utf8Decode); UTF-16LE/BE, the legacy single-byte
// encodings (tables in vendor_encoding_tables.js) and x-user-defined decode here. The
// legacy multi-byte encodings (GBK, gb18030, Big5, EUC-JP, ISO-2022-JP, Shift_JIS,
// EUC-KR) are recognised by label but not supported: the constructor throws RangeError,
// as it does for "replacement".

// Short ASCII strings (most response bodies of small handlers, header-sized values) are
// encoded here: V8 keeps typed arrays of up to 64 bytes on its heap, where a native
// buffer costs a malloc, a BackingStore and its registration, several times the work.
const SHORT_ASCII = 64;

function utf8Encode(string) {
  const n = string.length;
  if (n <= SHORT_ASCII) {
    const bytes = new Uint8Array(n);
    let i = 0;
    for (; i < n; i++) {
      const c = StringPrototypeCharCodeAt(string, i);
      if (c > 0x7f) break;
      bytes[i] = c;
    }
    if (i === n) return bytes;
  }
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

// Encoding §4.2 "get an encoding": the standard's name of a label, or undefined.
function getEncoding(label) {
  return ENCODING_LABELS[StringPrototypeToLowerCase(trimASCIIWhitespace(label))];
}

const UNSUPPORTED_ENCODINGS = ["GBK", "gb18030", "Big5", "EUC-JP", "ISO-2022-JP", "Shift_JIS", "EUC-KR"];

// UTF-16 decoder (Encoding §14.2) with its streaming state in `state`.
// UTF-16LE/BE decode (Encoding §14.3) is native: `state` is the decoder's Int32Array(2)
// (pending lead byte, pending lead surrogate; -1 for none), carried across a stream.
function decodeUTF16(bytes, length, bigEndian, fatal, flush, state, prefix, name) {
  const text = ops.utf16Decode(bytes, length, bigEndian, fatal, flush, state);
  if (text === null) throw new TypeError(`${prefix}: The encoded data was not valid for encoding ${name}.`);
  return text;
}

function newUTF16State() {
  const state = new Int32Array(2);
  state[0] = state[1] = -1;
  return state;
}

// Single-byte decoders (Encoding §9) and x-user-defined (§14.5).
function decodeSingleByte(bytes, length, table, fatal, prefix, name) {
  const units = new Array(length);
  for (let i = 0; i < length; i++) {
    const byte = bytes[i];
    if (byte < 0x80) {
      units[i] = byte;
    } else if (table === null) {
      units[i] = 0xf780 + byte - 0x80; // x-user-defined
    } else {
      const unit = StringPrototypeCharCodeAt(table, byte - 0x80);
      if (unit === 0xfffd && fatal) {
        throw new TypeError(`${prefix}: The encoded data was not valid for encoding ${name}.`);
      }
      units[i] = unit;
    }
  }
  return codeUnitsToString(units, length);
}

class TextDecoder {
  #encoding; // the standard's name ("UTF-8", "UTF-16LE", "windows-1252", ...)
  #fatal;
  #ignoreBOM;
  // Streaming state (Encoding §8.1.3): UTF-8 bytes of an unfinished sequence; the UTF-16
  // lead byte and lead surrogate; whether the BOM was looked for already.
  #pending = null;
  #utf16 = newUTF16State();
  #bomSeen = false;

  constructor(label = "utf-8", options = undefined) {
    const prefix = constructPrefix("TextDecoder");
    label = toDOMString(label, prefix, "The label");
    options = toDictionary(options, prefix, "TextDecoderOptions");
    const fatal = !!options.fatal;
    const ignoreBOM = !!options.ignoreBOM;
    const encoding = getEncoding(label);
    if (encoding === undefined || encoding === "replacement") {
      throw new RangeError(`${prefix}: The encoding label provided ('${label}') is invalid.`);
    }
    if (ArrayPrototypeIncludes(UNSUPPORTED_ENCODINGS, encoding)) {
      throw new RangeError(
        `${prefix}: The encoding label provided ('${label}') names ${encoding}, which this runtime does not decode.`,
      );
    }
    this.#encoding = encoding;
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
    return StringPrototypeToLowerCase(this.#encoding);
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
      // Memory another thread may write to is copied before it is read.
      if (isSharedArrayBuffer(TypedArrayPrototypeGetBuffer(view))) view = copyBytes(view);
    }
    options = toDictionary(options, prefix, "TextDecodeOptions");
    const stream = !!options.stream;
    const encoding = this.#encoding;
    if (encoding === "UTF-8") return this.#decodeUTF8(view, stream, prefix);

    let text;
    const length = TypedArrayPrototypeGetLength(view);
    try {
      if (encoding === "UTF-16LE" || encoding === "UTF-16BE") {
        text = decodeUTF16(view, length, encoding === "UTF-16BE", this.#fatal, !stream, this.#utf16,
          prefix, StringPrototypeToLowerCase(encoding));
      } else {
        const table = encoding === "x-user-defined" ? null : SINGLE_BYTE_TABLES[encoding];
        text = decodeSingleByte(view, length, table, this.#fatal, prefix, StringPrototypeToLowerCase(encoding));
      }
    } catch (error) {
      this.#reset();
      throw error;
    }
    // Encoding §8.1.3 "serialize I/O queue": a leading U+FEFF is a BOM for UTF-16 (and
    // UTF-8, handled natively) unless ignoreBOM.
    if ((encoding === "UTF-16LE" || encoding === "UTF-16BE") && !this.#ignoreBOM && !this.#bomSeen &&
        text.length > 0) {
      this.#bomSeen = true;
      if (StringPrototypeCharCodeAt(text, 0) === 0xfeff) text = StringPrototypeSlice(text, 1);
    }
    if (!stream) this.#reset();
    return text;
  }

  #decodeUTF8(view, stream, prefix) {
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
    const keepBOM = this.#ignoreBOM || this.#bomSeen;
    let text = "";
    if (length > 0) {
      this.#bomSeen = true;
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
    this.#utf16 = newUTF16State();
    this.#bomSeen = false;
  }
}

setToStringTag(TextDecoder.prototype, "TextDecoder");
