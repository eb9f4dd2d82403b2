// body.js: the Body mixin shared by Request and Response (WHATWG Fetch §5.3).
//
// A body is an InnerBody, held in a private field of its Request or Response (null when
// there is no body). Its content is either
//   - `source`: a Uint8Array the layer owns exclusively (copied in, or handed over by the
//     host), or a string that stands for its UTF-8 bytes (bodies made from strings stay
//     strings until something needs the bytes: a handler's text response goes to the host
//     without ever being encoded in JS; sourceBytes/sourceText convert); or
//   - `stream`: a ReadableStream given as the body.
// and `disturbed` says it was read (or began to be), which is what bodyUsed reports.
//
// Streams: this runtime has no ReadableStream of its own yet. Until it has, the layer
// uses the global ReadableStream if the realm has one (for example a polyfill the worker
// bundled) and otherwise works on bytes alone:
//   - `body` returns null when there is no body, as the spec says. When there is one it
//     returns a ReadableStream over it if a ReadableStream constructor exists, else null,
//     because there is no stream type to return; the bytes stay readable through text(),
//     json(), arrayBuffer() and bytes(). It never throws.
//   - the stream made by `body` pulls the bytes only when read (highWaterMark 0), so
//     merely looking at `body` does not disturb it.
//   - a stream given as the body is read through its public API; reads made on it
//     directly are not seen here (a user-land stream has no observable "disturbed"
//     flag), only its `locked` state is.
// The ReadableStream lookup lives in one place, readableStreamClass(), so that the issue
// adding the real ReadableStream replaces it with the layer's own class.

class InnerBody {
  constructor(source, stream) {
    this.source = source; // Uint8Array, string (its UTF-8 bytes) or null
    this.stream = stream; // ReadableStream or null (given as the body, or made by `body`)
    this.disturbed = false;
  }
}

function readableStreamClass() {
  const ReadableStream = globalThis.ReadableStream;
  return typeof ReadableStream === "function" ? ReadableStream : null;
}

function isReadableStream(value) {
  const ReadableStream = readableStreamClass();
  return ReadableStream !== null && value instanceof ReadableStream;
}

function isStreamLocked(inner) {
  if (inner.stream === null) return false;
  try {
    return inner.stream.locked === true;
  } catch {
    return false;
  }
}

// Fetch §5.3 "unusable": the body was read, or its stream is locked by a reader.
function isUnusable(inner) {
  return inner !== null && (inner.disturbed || isStreamLocked(inner));
}

// Fetch §5.2 "extract a body" for the BodyInit types this runtime knows so far. Returns
// { body: InnerBody, type: string or null }. Unknown objects convert to a string, as the
// WebIDL union (which includes USVString) says: new Response({}) has "[object Object]".
function extractBody(object, prefix) {
  if (typeof object === "string") return { body: new InnerBody(object, null), type: "text/plain;charset=UTF-8" };
  const view = bufferSourceView(object);
  if (view !== undefined) {
    return { body: new InnerBody(copyBytes(view), null), type: null };
  }
  if (typeof object === "object" && object !== null) {
    if (blobInternals.is(object)) {
      const type = blobInternals.type(object);
      // A Blob's bytes never change, so the body can share them.
      return { body: new InnerBody(blobInternals.bytes(object), null), type: type === "" ? null : type };
    }
    if (formDataInternals.is(object)) {
      const encoded = encodeMultipart(object);
      return { body: new InnerBody(encoded.bytes, null), type: encoded.type };
    }
    if (urlSearchParamsInternals.is(object)) {
      return {
        body: new InnerBody(usm.serializeUrlencoded(urlSearchParamsInternals.list(object, prefix)), null),
        type: "application/x-www-form-urlencoded;charset=UTF-8",
      };
    }
    if (isReadableStream(object)) {
      let locked;
      try {
        locked = object.locked === true;
      } catch {
        locked = false;
      }
      if (locked) throw new TypeError(`${prefix}: The body's ReadableStream is locked.`);
      return { body: new InnerBody(null, object), type: null };
    }
  }
  return {
    body: new InnerBody(toDOMString(object, prefix, "The body"), null),
    type: "text/plain;charset=UTF-8",
  };
}

// The body of a clone (Fetch §5.3 "clone a body"): bytes are copied so that the two
// bodies can be consumed, and their buffers handed out, independently; a stream is teed.
function cloneBody(inner) {
  if (inner === null) return null;
  const source = inner.source;
  if (typeof source === "string") return new InnerBody(source, null); // immutable: shared
  if (source !== null) return new InnerBody(copyBytes(source), null);
  const branches = inner.stream.tee();
  inner.stream = branches[0];
  return new InnerBody(null, branches[1]);
}

// For `new Request(request)` without a new body: the new request takes the body over
// and the old one reads as used (Fetch §5.4 step "create a proxy for inputBody").
function transferBody(inner) {
  // A stream that `body` made over the bytes reads from the old InnerBody, so only a
  // stream given as the body moves; the new body makes its own stream when asked.
  const moved = new InnerBody(inner.source, inner.source !== null ? null : inner.stream);
  inner.source = null;
  inner.disturbed = true;
  return moved;
}

// The `body` getter's value (see the comment at the top of this file).
function bodyStream(inner) {
  if (inner === null) return null;
  if (inner.stream !== null) return inner.stream;
  const ReadableStream = readableStreamClass();
  if (ReadableStream === null) return null;
  let stream;
  try {
    stream = makeByteStream(ReadableStream, inner);
  } catch {
    return null; // a ReadableStream that cannot be constructed this way: as if absent
  }
  inner.stream = stream;
  return stream;
}

function makeByteStream(ReadableStream, inner) {
  return new ReadableStream(
    {
      pull(controller) {
        // The first read disturbs the body; after text() and friends it reads as empty.
        if (!inner.disturbed) {
          inner.disturbed = true;
          const bytes = sourceBytes(inner.source);
          inner.source = null;
          if (bytes !== null && TypedArrayPrototypeGetLength(bytes) > 0) controller.enqueue(bytes);
        }
        controller.close();
      },
      cancel() {
        inner.disturbed = true;
        inner.source = null;
      },
    },
    { highWaterMark: 0 },
  );
}

const BODY_USED_MESSAGE =
  "Body has already been used. It can only be used once. Use clone() first if you need to read it twice.";

// A source's bytes (a string's UTF-8, lone surrogates as U+FFFD), or null.
function sourceBytes(source) {
  return typeof source === "string" ? utf8Encode(source) : source;
}

// A source's text as "UTF-8 decode" of its bytes gives it (U+FFFD for errors, no BOM):
// for a string, without encoding it.
function sourceText(source) {
  if (typeof source !== "string") return utf8Decode(source);
  const text = toWellFormed(source);
  return StringPrototypeCharCodeAt(text, 0) === 0xfeff ? StringPrototypeSlice(text, 1) : text;
}

// Fetch §5.3 "consume body": the body's source (a Uint8Array or a string: sourceBytes and
// sourceText read it), once. Throws (in an async caller, so the promise rejects) if the
// body was used or its stream is locked.
async function consumeBody(inner, prefix) {
  if (inner === null) return "";
  if (inner.disturbed) throw new TypeError(`${prefix}: ${BODY_USED_MESSAGE}`);
  if (isStreamLocked(inner)) throw new TypeError(`${prefix}: The body's ReadableStream is locked.`);
  inner.disturbed = true; // synchronously, so bodyUsed is true as soon as text() returns
  const source = inner.source;
  if (source !== null) {
    inner.source = null;
    return source;
  }
  return await readStreamToEnd(inner.stream, prefix);
}

// Reads a ReadableStream of Uint8Array chunks into one new Uint8Array.
async function readStreamToEnd(stream, prefix) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const result = await reader.read();
    if (result.done) break;
    const chunk = result.value;
    if (!isUint8Array(chunk)) {
      throw new TypeError(`${prefix}: The body's ReadableStream produced a chunk that is not a Uint8Array.`);
    }
    ArrayPrototypePush(chunks, chunk);
    total += TypedArrayPrototypeGetLength(chunk);
  }
  return concatBytes(chunks, total); // always a fresh buffer, never a chunk's
}

// Installs the mixin's members on a class's prototype. `innerOf(object, prefix)` brand
// checks `object` and returns its InnerBody (or null).
// `headersOf(object)` returns its Headers (for blob()'s type and formData()'s parsing).
function installBodyMixin(Class, iface, innerOf, headersOf) {
  defineMembers(Class.prototype, {
    get body() {
      return bodyStream(innerOf(this, `Failed to read the 'body' property from '${iface}'`));
    },
    get bodyUsed() {
      const inner = innerOf(this, `Failed to read the 'bodyUsed' property from '${iface}'`);
      return inner !== null && inner.disturbed;
    },
    async arrayBuffer() {
      const prefix = executePrefix(iface, "arrayBuffer");
      return bytesToArrayBuffer(sourceBytes(await consumeBody(innerOf(this, prefix), prefix)));
    },
    async bytes() {
      const prefix = executePrefix(iface, "bytes");
      return new Uint8Array(bytesToArrayBuffer(sourceBytes(await consumeBody(innerOf(this, prefix), prefix))));
    },
    async blob() {
      const prefix = executePrefix(iface, "blob");
      const bytes = sourceBytes(await consumeBody(innerOf(this, prefix), prefix));
      const contentType = headersInternals.get(headersOf(this), "content-type");
      return blobInternals.create(bytes, contentType === null ? "" : normalizeBlobType(contentType));
    },
    async formData() {
      const prefix = executePrefix(iface, "formData");
      const inner = innerOf(this, prefix);
      const contentType = headersInternals.get(headersOf(this), "content-type");
      const bytes = sourceBytes(await consumeBody(inner, prefix));
      return parseFormDataBody(bytes, contentType, prefix);
    },
    async json() {
      const prefix = executePrefix(iface, "json");
      return JSONParse(sourceText(await consumeBody(innerOf(this, prefix), prefix)));
    },
    async text() {
      const prefix = executePrefix(iface, "text");
      return sourceText(await consumeBody(innerOf(this, prefix), prefix));
    },
  });
}

// Fetch §5.3 formData(): multipart/form-data or application/x-www-form-urlencoded.
function parseFormDataBody(bytes, contentType, prefix) {
  const essence = contentType === null ? "" : mimeEssence(contentType);
  if (essence === "multipart/form-data") {
    const boundary = mimeParameter(contentType, "boundary");
    if (boundary === null || boundary === "") {
      throw new TypeError(`${prefix}: The multipart/form-data Content-Type has no boundary.`);
    }
    return parseMultipart(bytes, boundary, prefix);
  }
  if (essence === "application/x-www-form-urlencoded") {
    // The urlencoded parser works on the bytes as UTF-8 without BOM handling.
    return formDataInternals.fromList(parseUrlencoded(ops.utf8Decode(bytes, false, true)));
  }
  throw new TypeError(
    `${prefix}: The body's Content-Type (${contentType === null ? "none" : JSONStringify(contentType)}) ` +
      "is neither multipart/form-data nor application/x-www-form-urlencoded.",
  );
}
