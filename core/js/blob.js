// blob.js: Blob and File (W3C File API §3, §4), FormData (XHR §4.3), and the
// multipart/form-data encoding and parsing that Request and Response bodies use.
//
// A Blob's bytes are a Uint8Array the layer owns and never changes, so slices, clones
// and bodies made from a Blob can share it.

// File API §3.1 "process blob parts": BufferSource, Blob or USVString parts, with
// `endings: "native"` turning every line ending into "\n" (the platform's, on POSIX).
function processBlobParts(parts, endings, prefix) {
  const chunks = [];
  let total = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    let bytes;
    if (blobInternals.is(part)) {
      bytes = blobInternals.bytes(part);
    } else {
      const view = bufferSourceView(part);
      if (view !== undefined) {
        bytes = copyBytes(view);
      } else {
        let string = toUSVString(part, prefix, "The blob part");
        if (endings === "native") string = convertLineEndings(string, "\n");
        bytes = utf8Encode(string);
      }
    }
    ArrayPrototypePush(chunks, bytes);
    total += TypedArrayPrototypeGetLength(bytes);
  }
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks, total);
}

function convertLineEndings(string, ending) {
  if (!StringPrototypeIncludes(string, "\r") && (ending === "\n" || !StringPrototypeIncludes(string, "\n"))) {
    return string;
  }
  let out = "";
  for (let i = 0; i < string.length; i++) {
    const c = string[i];
    if (c === "\r") {
      out += ending;
      if (string[i + 1] === "\n") i++;
    } else if (c === "\n") {
      out += ending;
    } else {
      out += c;
    }
  }
  return out;
}

// File API: a type with a character outside U+0020..U+007E is "", else lowercased.
function normalizeBlobType(type) {
  for (let i = 0; i < type.length; i++) {
    const code = StringPrototypeCharCodeAt(type, i);
    if (code < 0x20 || code > 0x7e) return "";
  }
  return StringPrototypeToLowerCase(type);
}

function blobOptions(options, prefix, dictionary) {
  options = toDictionary(options, prefix, dictionary);
  const endings = options.endings === undefined
    ? "transparent"
    : toEnum(options.endings, ["transparent", "native"], prefix, "EndingType");
  const lastModified = dictionary === "FilePropertyBag" ? options.lastModified : undefined;
  const type = options.type === undefined ? "" : normalizeBlobType(toDOMString(options.type, prefix, "The type"));
  return { endings, lastModified, type };
}

let blobInternals;

class Blob {
  #bytes;
  #type;

  constructor(blobParts = undefined, options = undefined) {
    if (blobParts === kInternal) {
      this.#bytes = options.bytes;
      this.#type = options.type;
      return;
    }
    const prefix = constructPrefix("Blob");
    const parts = blobParts === undefined ? [] : toSequence(blobParts, prefix, "The provided value");
    const { endings, type } = blobOptions(options, prefix, "BlobPropertyBag");
    this.#bytes = processBlobParts(parts, endings, prefix);
    this.#type = type;
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#bytes in self)) throw illegalInvocation(prefix);
  }

  get size() {
    Blob.#check(this, "Failed to read the 'size' property from 'Blob'");
    return TypedArrayPrototypeGetLength(this.#bytes);
  }

  get type() {
    Blob.#check(this, "Failed to read the 'type' property from 'Blob'");
    return this.#type;
  }

  // File API §3.3.1: negative positions count from the end; the result is clamped.
  slice(start = undefined, end = undefined, contentType = undefined) {
    const prefix = executePrefix("Blob", "slice");
    Blob.#check(this, prefix);
    const size = TypedArrayPrototypeGetLength(this.#bytes);
    const clamp = (value, fallback) => {
      if (value === undefined) return fallback;
      const n = toLongLong(value);
      return n < 0 ? MathMax(size + n, 0) : MathMin(n, size);
    };
    const from = clamp(start, 0);
    const to = clamp(end, size);
    const type = contentType === undefined ? "" : normalizeBlobType(toDOMString(contentType, prefix, "The contentType"));
    const span = MathMax(to - from, 0);
    return new Blob(kInternal, {
      bytes: TypedArrayPrototypeSubarray(this.#bytes, from, from + span),
      type,
    });
  }

  async text() {
    const prefix = executePrefix("Blob", "text");
    Blob.#check(this, prefix);
    return utf8Decode(this.#bytes);
  }

  async arrayBuffer() {
    const prefix = executePrefix("Blob", "arrayBuffer");
    Blob.#check(this, prefix);
    return bytesToArrayBuffer(copyBytes(this.#bytes));
  }

  async bytes() {
    const prefix = executePrefix("Blob", "bytes");
    Blob.#check(this, prefix);
    return copyBytes(this.#bytes);
  }

  // A ReadableStream of the bytes. The runtime's own ReadableStream is another issue:
  // until then this works when the realm has a global ReadableStream.
  stream() {
    const prefix = executePrefix("Blob", "stream");
    Blob.#check(this, prefix);
    const ReadableStream = readableStreamClass();
    if (ReadableStream === null) {
      throw new TypeError(`${prefix}: ReadableStream is not available in this runtime yet.`);
    }
    const bytes = copyBytes(this.#bytes);
    return new ReadableStream({
      type: "bytes",
      start(controller) {
        if (TypedArrayPrototypeGetLength(bytes) > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
  }

  static {
    blobInternals = {
      is: (value) => typeof value === "object" && value !== null && #bytes in value,
      bytes: (blob) => blob.#bytes,
      type: (blob) => blob.#type,
      create: (bytes, type) => new Blob(kInternal, { bytes, type }),
    };
  }
}

setToStringTag(Blob.prototype, "Blob");

let fileInternals;

class File extends Blob {
  #name;
  #lastModified;

  constructor(fileBits, fileName, options = undefined) {
    if (fileBits === kInternal) {
      super(kInternal, { bytes: fileName.bytes, type: fileName.type });
      this.#name = fileName.name;
      this.#lastModified = fileName.lastModified;
      return;
    }
    const prefix = constructPrefix("File");
    requiredArguments(arguments.length, 2, prefix);
    const parts = toSequence(fileBits, prefix, "The provided value");
    const name = toUSVString(fileName, prefix, "The file name");
    const { endings, lastModified, type } = blobOptions(options, prefix, "FilePropertyBag");
    super(kInternal, { bytes: processBlobParts(parts, endings, prefix), type });
    this.#name = name;
    this.#lastModified = lastModified === undefined ? DateNow() : toLongLong(lastModified);
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#name in self)) throw illegalInvocation(prefix);
  }

  get name() {
    File.#check(this, "Failed to read the 'name' property from 'File'");
    return this.#name;
  }

  get lastModified() {
    File.#check(this, "Failed to read the 'lastModified' property from 'File'");
    return this.#lastModified;
  }

  get webkitRelativePath() {
    File.#check(this, "Failed to read the 'webkitRelativePath' property from 'File'");
    return "";
  }

  static {
    fileInternals = {
      is: (value) => typeof value === "object" && value !== null && #name in value,
      name: (file) => file.#name,
      lastModified: (file) => file.#lastModified,
      create: (bytes, type, name, lastModified) => new File(kInternal, { bytes, type, name, lastModified }),
    };
  }
}

setToStringTag(File.prototype, "File");

// ---- FormData ---------------------------------------------------------------------------

// XHR §4.3 "create an entry": a Blob value becomes a File named `filename`, or the File's
// own name, or "blob".
function formDataEntryValue(value, filename, prefix) {
  if (!blobInternals.is(value)) return toUSVString(value, prefix, "The value");
  if (filename !== undefined) filename = toUSVString(filename, prefix, "The filename");
  if (fileInternals.is(value) && filename === undefined) return value;
  const name = filename !== undefined ? filename : fileInternals.is(value) ? fileInternals.name(value) : "blob";
  const lastModified = fileInternals.is(value) ? fileInternals.lastModified(value) : DateNow();
  return fileInternals.create(blobInternals.bytes(value), blobInternals.type(value), name, lastModified);
}

let formDataInternals;

class FormData {
  #list = []; // [name, value] with value a string or a File

  constructor(form = undefined) {
    if (form !== undefined) {
      throw new TypeError(`${constructPrefix("FormData")}: parameter 1 is not of type 'HTMLFormElement'.`);
    }
  }

  static #listOf(self, prefix) {
    if (typeof self !== "object" || self === null || !(#list in self)) throw illegalInvocation(prefix);
    return self.#list;
  }

  static #entry(args, name, value, filename, prefix) {
    name = toUSVString(name, prefix, "The name");
    if (args === 3 && !blobInternals.is(value)) {
      throw new TypeError(`${prefix}: parameter 2 is not of type 'Blob'.`);
    }
    return [name, formDataEntryValue(value, filename, prefix)];
  }

  append(name, value, filename = undefined) {
    const prefix = executePrefix("FormData", "append");
    const list = FormData.#listOf(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    ArrayPrototypePush(list, FormData.#entry(arguments.length, name, value, filename, prefix));
  }

  delete(name) {
    const prefix = executePrefix("FormData", "delete");
    const list = FormData.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    for (let i = 0; i < list.length;) {
      if (list[i][0] === name) ArrayPrototypeSplice(list, i, 1);
      else i++;
    }
  }

  get(name) {
    const prefix = executePrefix("FormData", "get");
    const list = FormData.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    for (let i = 0; i < list.length; i++) if (list[i][0] === name) return list[i][1];
    return null;
  }

  getAll(name) {
    const prefix = executePrefix("FormData", "getAll");
    const list = FormData.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    const out = [];
    for (let i = 0; i < list.length; i++) if (list[i][0] === name) ArrayPrototypePush(out, list[i][1]);
    return out;
  }

  has(name) {
    const prefix = executePrefix("FormData", "has");
    const list = FormData.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    for (let i = 0; i < list.length; i++) if (list[i][0] === name) return true;
    return false;
  }

  set(name, value, filename = undefined) {
    const prefix = executePrefix("FormData", "set");
    const list = FormData.#listOf(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    const entry = FormData.#entry(arguments.length, name, value, filename, prefix);
    let found = false;
    for (let i = 0; i < list.length;) {
      if (list[i][0] === entry[0]) {
        if (found) {
          ArrayPrototypeSplice(list, i, 1);
          continue;
        }
        list[i] = entry;
        found = true;
      }
      i++;
    }
    if (!found) ArrayPrototypePush(list, entry);
  }

  static {
    formDataInternals = {
      is: (value) => typeof value === "object" && value !== null && #list in value,
      list: (self, prefix) => FormData.#listOf(self, prefix),
      fromList(list) {
        const formData = new FormData();
        formData.#list = list;
        return formData;
      },
    };
  }
}

definePairIterable(FormData, "FormData", formDataInternals.list);
setToStringTag(FormData.prototype, "FormData");

// ---- multipart/form-data -----------------------------------------------------------------

// HTML §4.10.21.8 "multipart/form-data encoding algorithm", with the escaping browsers use
// for names and filenames (LF, CR and '"' percent-encoded) and CRLF-normalised strings.
function escapeMultipartName(name) {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    out += c === "\n" ? "%0A" : c === "\r" ? "%0D" : c === '"' ? "%22" : c;
  }
  return out;
}

function encodeMultipart(formData) {
  const random = new Uint8Array(12);
  ops.randomFill(random);
  let boundary = "----formdata-ski-";
  for (let i = 0; i < random.length; i++) boundary += StringPrototypeSlice("0" + random[i].toString(16), -2);
  const list = formDataInternals.list(formData, "");
  const chunks = [];
  let total = 0;
  const push = (bytes) => {
    ArrayPrototypePush(chunks, bytes);
    total += TypedArrayPrototypeGetLength(bytes);
  };
  for (let i = 0; i < list.length; i++) {
    const name = escapeMultipartName(convertLineEndings(list[i][0], "\r\n"));
    const value = list[i][1];
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"`;
    if (typeof value === "string") {
      push(utf8Encode(`${head}\r\n\r\n${convertLineEndings(value, "\r\n")}\r\n`));
    } else {
      const type = blobInternals.type(value);
      head += `; filename="${escapeMultipartName(fileInternals.name(value))}"\r\n` +
        `Content-Type: ${type === "" ? "application/octet-stream" : type}\r\n\r\n`;
      push(utf8Encode(head));
      push(blobInternals.bytes(value));
      push(utf8Encode("\r\n"));
    }
  }
  push(utf8Encode(`--${boundary}--\r\n`));
  return { bytes: concatBytes(chunks, total), type: `multipart/form-data; boundary=${boundary}` };
}

// The value of a parameter of a MIME type (RFC 7231 §3.1.1.1, quoted-string allowed), or
// null. Only what body.formData() needs: the boundary.
function mimeParameter(contentType, wanted) {
  const semicolon = StringPrototypeIndexOf(contentType, ";");
  if (semicolon === -1) return null;
  let rest = StringPrototypeSlice(contentType, semicolon + 1);
  while (rest.length > 0) {
    let i = 0;
    while (i < rest.length && (rest[i] === " " || rest[i] === "\t" || rest[i] === ";")) i++;
    rest = StringPrototypeSlice(rest, i);
    const eq = StringPrototypeIndexOf(rest, "=");
    if (eq === -1) return null;
    const name = StringPrototypeToLowerCase(StringPrototypeSlice(rest, 0, eq));
    rest = StringPrototypeSlice(rest, eq + 1);
    let value = "";
    if (rest[0] === '"') {
      let j = 1;
      for (; j < rest.length && rest[j] !== '"'; j++) {
        if (rest[j] === "\\" && j + 1 < rest.length) j++;
        value += rest[j];
      }
      rest = StringPrototypeSlice(rest, j + 1);
      const next = StringPrototypeIndexOf(rest, ";");
      rest = next === -1 ? "" : StringPrototypeSlice(rest, next);
    } else {
      const next = StringPrototypeIndexOf(rest, ";");
      value = trimASCIIWhitespace(next === -1 ? rest : StringPrototypeSlice(rest, 0, next));
      rest = next === -1 ? "" : StringPrototypeSlice(rest, next);
    }
    if (name === wanted) return value;
  }
  return null;
}

function mimeEssence(contentType) {
  const semicolon = StringPrototypeIndexOf(contentType, ";");
  return StringPrototypeToLowerCase(trimASCIIWhitespace(semicolon === -1 ? contentType : StringPrototypeSlice(contentType, 0, semicolon)));
}

function indexOfBytes(bytes, pattern, from) {
  const length = TypedArrayPrototypeGetLength(bytes);
  const n = TypedArrayPrototypeGetLength(pattern);
  const first = pattern[0];
  outer: for (let i = from; i + n <= length; i++) {
    if (bytes[i] !== first) continue;
    for (let j = 1; j < n; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}

// Parses a multipart/form-data body (RFC 7578) into a FormData; throws TypeError on a
// malformed body.
function parseMultipart(bytes, boundary, prefix) {
  const fail = (why) => new TypeError(`${prefix}: Could not parse the multipart/form-data body: ${why}.`);
  const delimiter = utf8Encode(`--${boundary}`);
  const list = [];
  let position = indexOfBytes(bytes, delimiter, 0);
  if (position === -1) throw fail("no boundary found");
  const length = TypedArrayPrototypeGetLength(bytes);
  for (;;) {
    position += TypedArrayPrototypeGetLength(delimiter);
    if (bytes[position] === 0x2d && bytes[position + 1] === 0x2d) break; // "--": the end
    if (bytes[position] === 0x0d && bytes[position + 1] === 0x0a) position += 2;
    else throw fail("a boundary is not followed by CRLF");
    // Headers, up to the empty line.
    const headersEnd = indexOfBytes(bytes, utf8Encode("\r\n\r\n"), position);
    if (headersEnd === -1) throw fail("a part has no end of headers");
    const headerText = bytesToLatin1(TypedArrayPrototypeSubarray(bytes, position, headersEnd));
    const lines = StringPrototypeSplit(headerText, "\r\n");
    let name = null;
    let filename = null;
    let type = "";
    for (let i = 0; i < lines.length; i++) {
      const colon = StringPrototypeIndexOf(lines[i], ":");
      if (colon === -1) continue;
      const headerName = StringPrototypeToLowerCase(trimASCIIWhitespace(StringPrototypeSlice(lines[i], 0, colon)));
      const headerValue = trimASCIIWhitespace(StringPrototypeSlice(lines[i], colon + 1));
      if (headerName === "content-disposition") {
        if (mimeEssence(headerValue) !== "form-data") throw fail("a part is not form-data");
        name = mimeParameter(headerValue, "name");
        filename = mimeParameter(headerValue, "filename");
      } else if (headerName === "content-type") {
        type = headerValue;
      }
    }
    if (name === null) throw fail("a part has no name");
    const bodyStart = headersEnd + 4;
    const next = indexOfBytes(bytes, utf8Encode(`\r\n--${boundary}`), bodyStart);
    if (next === -1) throw fail("a part does not end with a boundary");
    const body = TypedArrayPrototypeSubarray(bytes, bodyStart, next);
    // Names and filenames are UTF-8 on the wire; the headers were read as Latin-1.
    name = utf8Decode(latin1ToBytes(name));
    if (filename !== null) {
      filename = utf8Decode(latin1ToBytes(filename));
      ArrayPrototypePush(list, [name, fileInternals.create(copyBytes(body), normalizeBlobType(type), filename, DateNow())]);
    } else {
      ArrayPrototypePush(list, [name, utf8Decode(body)]);
    }
    position = next + 2;
    if (position >= length) throw fail("unexpected end");
  }
  return formDataInternals.fromList(list);
}
