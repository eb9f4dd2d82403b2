// console.js: the console namespace (WHATWG Console) writing through ops.print, with
// printf-style formatting and a util.inspect-like renderer close to Node's output, which
// is what people who write workers expect to read.

const LEVEL_DEBUG = 0;
const LEVEL_INFO = 1;
const LEVEL_WARN = 2;
const LEVEL_ERROR = 3;

function emit(level, text) {
  try {
    ops.print(level, text);
  } catch {
    // Logging must never become the failure.
  }
}

// ---- inspect --------------------------------------------------------------------------

const INSPECT_DEPTH = 2; // as Node: deeper objects print as [Object] / [Array]
const INSPECT_MAX_ITEMS = 100; // array, typed array, Map and Set entries shown
const INSPECT_BREAK_LENGTH = 80;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

// Renderers for the layer's own classes, keyed by prototype: they return a flat list
// [key, value, key, value, ...] shown as `Name { key: value, ... }`, computed from the
// private state without running user-visible getters.
const inspectEntries = new Map();
const SymbolPrototypeValueOf = uncurryThis(Symbol.prototype.valueOf);
const CLASS_SOURCE = /^class(?![A-Za-z0-9_$])/;

function registerInspector(Class, entries) {
  MapPrototypeSet(inspectEntries, Class.prototype, entries);
}

function inspect(value, depth = INSPECT_DEPTH) {
  return formatValue({ seen: [], depth, indentation: 0 }, value, 0, false);
}

function formatValue(ctx, value, level, nested) {
  switch (typeof value) {
    case "string":
      return nested ? quoteString(value) : value;
    case "number":
      return formatNumber(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
    case "undefined":
      return String(value);
    case "symbol":
      return SymbolPrototypeToString(value);
    default:
      if (value === null) return "null";
      if (ArrayPrototypeIncludes(ctx.seen, value)) return "[Circular]";
      if (!nested) return formatObject(ctx, value, level);
      // A nested object is printed two columns further in, so that when it spans lines
      // its entries and closing brace line up under its parent's.
      ctx.indentation += 2;
      try {
        return formatObject(ctx, value, level);
      } finally {
        ctx.indentation -= 2;
      }
  }
}

function formatNumber(number) {
  return ObjectIs(number, -0) ? "-0" : String(number);
}

function quoteString(string) {
  let quote = "'";
  if (StringPrototypeIncludes(string, "'")) {
    if (!StringPrototypeIncludes(string, '"')) quote = '"';
    else if (!StringPrototypeIncludes(string, "`")) quote = "`";
  }
  let out = quote;
  for (let i = 0; i < string.length; i++) {
    const c = string[i];
    const code = StringPrototypeCharCodeAt(string, i);
    if (c === quote || c === "\\") out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\t") out += "\\t";
    else if (c === "\r") out += "\\r";
    else if (c === "\b") out += "\\b";
    else if (c === "\f") out += "\\f";
    else if (c === "\v") out += "\\v";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + StringPrototypeSlice(hex4(code), 2);
    else out += c;
  }
  return out + quote;
}

function formatKey(key) {
  if (typeof key === "symbol") return `[${SymbolPrototypeToString(key)}]`;
  return RegExpPrototypeExec(IDENTIFIER, key) !== null ? key : quoteString(key);
}

// `key: value` for an own property, without running getters (as Node shows them).
function formatProperty(ctx, object, key, level) {
  const descriptor = ReflectGetOwnPropertyDescriptor(object, key);
  let shown;
  if (descriptor === undefined) {
    shown = "undefined";
  } else if (!isDataDescriptor(descriptor)) {
    shown = descriptor.get !== undefined
      ? descriptor.set !== undefined ? "[Getter/Setter]" : "[Getter]"
      : "[Setter]";
  } else {
    shown = formatValue(ctx, descriptor.value, level + 1, true);
  }
  return `${formatKey(key)}: ${shown}`;
}

// Own enumerable keys: strings (minus array indices when `skipIndices`), then symbols.
function ownEnumerableKeys(object, skipIndices) {
  const keys = ReflectOwnKeys(object);
  const out = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (!ObjectPrototypePropertyIsEnumerable(object, key)) continue;
    if (skipIndices && typeof key === "string" && RegExpPrototypeExec(ARRAY_INDEX, key) !== null) continue;
    ArrayPrototypePush(out, key);
  }
  return out;
}

function findInspector(object) {
  let proto = ObjectGetPrototypeOf(object);
  while (proto !== null) {
    const entries = MapPrototypeGet(inspectEntries, proto);
    if (entries !== undefined) return entries;
    proto = ObjectGetPrototypeOf(proto);
  }
  return undefined;
}

// @@toStringTag when it adds information: a non-empty string that is not an own
// enumerable property (that one is printed as a key anyway).
function toStringTagOf(value) {
  try {
    const tag = value[SymbolToStringTag];
    if (typeof tag !== "string" || tag === "") return "";
    if (ObjectPrototypePropertyIsEnumerable(value, SymbolToStringTag)) return "";
    return tag;
  } catch {
    return "";
  }
}

// Node's prefix: "Foo ", "Foo(2) ", "Foo [Tag] ", "[Object: null prototype] ".
function inspectPrefix(constructorName, tag, fallback, size = "") {
  if (constructorName === null) {
    return tag !== "" && tag !== fallback
      ? `[${fallback}${size}: null prototype] [${tag}] `
      : `[${fallback}${size}: null prototype] `;
  }
  return tag !== "" && tag !== constructorName
    ? `${constructorName}${size} [${tag}] `
    : `${constructorName}${size} `;
}

function moreItems(count) {
  return `... ${count} more item${count === 1 ? "" : "s"}`;
}

function formatObject(ctx, value, level) {
  if (typeof value === "function") return formatFunction(ctx, value, level);
  if (isErrorObject(value)) return formatError(ctx, value, level);

  const constructorName = constructorNameOf(value);
  const tag = toStringTagOf(value);
  const beyondDepth = (fallback) => `[${constructorName || tag || fallback}]`;
  const entries = [];
  let prefix;
  let open = "{";
  let close = "}";
  let isArrayLike = false;
  let keys;
  let items; // fills `entries` with the value's items, before its own properties

  const inspector = findInspector(value);
  const typedKind = typedArrayKind(value);
  if (inspector !== undefined) {
    // The layer's own classes: their state is private, so there are no keys to list.
    prefix = inspectPrefix(constructorName, tag, "Object");
    if (level > ctx.depth) return beyondDepth("Object");
    keys = [];
    items = () => {
      const pairs = inspector(value);
      for (let i = 0; i < pairs.length; i += 2) {
        ArrayPrototypePush(entries, `${formatKey(pairs[i])}: ${formatValue(ctx, pairs[i + 1], level + 1, true)}`);
      }
    };
  } else if (ArrayIsArray(value)) {
    const length = value.length;
    prefix = constructorName === "Array" && tag === "" ? "" : inspectPrefix(constructorName, tag, "Array", `(${length})`);
    open = "[";
    close = "]";
    isArrayLike = true;
    keys = ownEnumerableKeys(value, true);
    if (length === 0 && keys.length === 0) return `${prefix}[]`;
    if (level > ctx.depth) return beyondDepth("Array");
    items = () => formatArrayItems(ctx, value, level, entries);
  } else if (typedKind !== undefined) {
    const length = TypedArrayPrototypeGetLength(value);
    prefix = inspectPrefix(constructorName, tag, typedKind, `(${length})`);
    open = "[";
    close = "]";
    isArrayLike = true;
    keys = ownEnumerableKeys(value, true);
    if (length === 0 && keys.length === 0) return `${prefix}[]`;
    if (level > ctx.depth) return beyondDepth(typedKind);
    items = () => {
      const shown = MathMin(length, INSPECT_MAX_ITEMS);
      for (let i = 0; i < shown; i++) {
        const item = value[i];
        ArrayPrototypePush(entries, typeof item === "bigint" ? `${item}n` : formatNumber(item));
      }
      if (length > shown) ArrayPrototypePush(entries, moreItems(length - shown));
    };
  } else if (isArrayBuffer(value)) {
    prefix = inspectPrefix(constructorName, tag, "ArrayBuffer");
    keys = ownEnumerableKeys(value, false);
    if (level > ctx.depth) return beyondDepth("ArrayBuffer");
    items = () => {
      const length = ArrayBufferPrototypeGetByteLength(value);
      const bytes = new Uint8Array(value, 0, MathMin(length, 50));
      let hex = "";
      for (let i = 0; i < bytes.length; i++) {
        hex += (i === 0 ? "" : " ") + StringPrototypeToLowerCase(StringPrototypeSlice(hex4(bytes[i]), 2));
      }
      if (length > 50) hex += ` ... ${length - 50} more byte${length - 50 === 1 ? "" : "s"}`;
      ArrayPrototypePush(entries, `[Uint8Contents]: <${hex}>`, `byteLength: ${length}`);
    };
  } else if (isMap(value)) {
    const size = MapPrototypeGetSize(value);
    prefix = inspectPrefix(constructorName, tag, "Map", `(${size})`);
    keys = ownEnumerableKeys(value, false);
    if (size === 0 && keys.length === 0) return `${prefix}{}`;
    if (level > ctx.depth) return beyondDepth("Map");
    items = () => {
      let count = 0;
      MapPrototypeForEach(value, (v, k) => {
        if (count++ >= INSPECT_MAX_ITEMS) return;
        ArrayPrototypePush(entries, `${formatValue(ctx, k, level + 1, true)} => ${formatValue(ctx, v, level + 1, true)}`);
      });
      if (size > INSPECT_MAX_ITEMS) ArrayPrototypePush(entries, moreItems(size - INSPECT_MAX_ITEMS));
    };
  } else if (isSet(value)) {
    const size = SetPrototypeGetSize(value);
    prefix = inspectPrefix(constructorName, tag, "Set", `(${size})`);
    keys = ownEnumerableKeys(value, false);
    if (size === 0 && keys.length === 0) return `${prefix}{}`;
    if (level > ctx.depth) return beyondDepth("Set");
    items = () => {
      let count = 0;
      SetPrototypeForEach(value, (v) => {
        if (count++ >= INSPECT_MAX_ITEMS) return;
        ArrayPrototypePush(entries, formatValue(ctx, v, level + 1, true));
      });
      if (size > INSPECT_MAX_ITEMS) ArrayPrototypePush(entries, moreItems(size - INSPECT_MAX_ITEMS));
    };
  } else {
    const simple = formatSimpleObject(value);
    // A String object's characters are index properties, already shown by its text.
    keys = ownEnumerableKeys(value, simple !== undefined && StringPrototypeStartsWith(simple, "[String:"));
    if (simple !== undefined) {
      if (keys.length === 0) return simple;
      prefix = `${simple} `;
    } else if (constructorName === "Object") {
      prefix = tag === "" ? "" : inspectPrefix(constructorName, tag, "Object");
    } else {
      prefix = inspectPrefix(constructorName, tag, "Object");
    }
    if (keys.length === 0) return `${prefix}{}`;
    if (level > ctx.depth) return beyondDepth("Object");
  }

  ctx.seen[ctx.seen.length] = value;
  if (items !== undefined) items();
  for (let i = 0; i < keys.length; i++) ArrayPrototypePush(entries, formatProperty(ctx, value, keys[i], level));
  ctx.seen.length--;
  if (!isArrayLike) return joinEntries(ctx, prefix, open, close, entries);
  const grouped = groupArrayElements(ctx, entries, value);
  return joinEntries(ctx, prefix, open, close, grouped, entries.length);
}

function formatArrayItems(ctx, array, level, entries) {
  const length = array.length;
  const shown = MathMin(length, INSPECT_MAX_ITEMS);
  let holes = 0;
  const flushHoles = () => {
    if (holes > 0) {
      ArrayPrototypePush(entries, `<${holes} empty item${holes === 1 ? "" : "s"}>`);
      holes = 0;
    }
  };
  for (let i = 0; i < shown; i++) {
    const descriptor = ReflectGetOwnPropertyDescriptor(array, i);
    if (descriptor === undefined) {
      holes++;
      continue;
    }
    flushHoles();
    ArrayPrototypePush(
      entries,
      !isDataDescriptor(descriptor)
        ? "[Getter/Setter]"
        : formatValue(ctx, descriptor.value, level + 1, true),
    );
  }
  flushHoles();
  if (length > shown) ArrayPrototypePush(entries, moreItems(length - shown));
}

// Node's groupArrayElements: more than six short entries are laid out in aligned columns
// (numbers right-aligned), so that a long array of numbers takes a few lines, not one per
// item. Returns `entries` unchanged when grouping does not apply.
function groupArrayElements(ctx, entries, value) {
  if (entries.length <= 6) return entries;
  let count = entries.length;
  if (StringPrototypeStartsWith(entries[count - 1], "... ")) count--; // "... n more items"
  const separatorSpace = 2; // ", "
  let totalLength = 0;
  let maxLength = 0;
  for (let i = 0; i < count; i++) {
    const length = entries[i].length;
    totalLength += length + separatorSpace;
    if (length > maxLength) maxLength = length;
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentation >= INSPECT_BREAK_LENGTH ||
      (totalLength / actualMax <= 5 && maxLength > 6)) {
    return entries;
  }
  const averageBias = MathSqrt(actualMax - totalLength / entries.length);
  const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
  const columns = MathMin(
    MathRound(MathSqrt(2.5 * biasedMax * count) / biasedMax),
    MathFloor((INSPECT_BREAK_LENGTH - ctx.indentation) / actualMax),
    12, // compact (3) * 4
    15,
  );
  if (columns <= 1) return entries;
  const maxLineLength = [];
  for (let i = 0; i < columns; i++) {
    let lineLength = 0;
    for (let j = i; j < count; j += columns) {
      if (entries[j].length > lineLength) lineLength = entries[j].length;
    }
    ArrayPrototypePush(maxLineLength, lineLength + separatorSpace);
  }
  let padStart = true; // numbers and bigints are right-aligned
  for (let i = 0; i < count; i++) {
    const item = value[i];
    if (typeof item !== "number" && typeof item !== "bigint") {
      padStart = false;
      break;
    }
  }
  const grouped = [];
  for (let i = 0; i < count; i += columns) {
    const max = MathMin(i + columns, count);
    let line = "";
    let j = i;
    for (; j < max - 1; j++) line += pad(`${entries[j]}, `, maxLineLength[j - i], padStart);
    line += padStart ? pad(entries[j], maxLineLength[j - i] - separatorSpace, true) : entries[j];
    ArrayPrototypePush(grouped, line);
  }
  if (count < entries.length) ArrayPrototypePush(grouped, entries[count]);
  return grouped;
}

function pad(string, width, atStart) {
  if (string.length >= width) return string;
  const spaces = StringPrototypeRepeat(" ", width - string.length);
  return atStart ? spaces + string : string + spaces;
}

// Dates, regular expressions, boxed primitives, promises and weak collections: the text
// that stands for them (followed by their own properties, if any), or undefined.
function formatSimpleObject(value) {
  const tag = ObjectPrototypeToString(value);
  try {
    switch (tag) {
      case "[object Date]": {
        const time = DatePrototypeGetTime(value);
        return time !== time ? "Invalid Date" : DatePrototypeToISOString(value);
      }
      case "[object RegExp]":
        return RegExpPrototypeToString(value);
      case "[object String]":
        return `[String: ${quoteString(StringPrototypeValueOf(value))}]`;
      case "[object Number]":
        return `[Number: ${formatNumber(NumberPrototypeValueOf(value))}]`;
      case "[object Boolean]":
        return `[Boolean: ${BooleanPrototypeValueOf(value)}]`;
      case "[object BigInt]":
        return `[BigInt: ${BigIntPrototypeValueOf(value)}n]`;
      case "[object Symbol]":
        return `[Symbol: ${SymbolPrototypeToString(SymbolPrototypeValueOf(value))}]`;
      case "[object Promise]":
        // A promise's state is not visible from JavaScript.
        return "Promise { <state unknown> }";
      case "[object WeakMap]":
        return "WeakMap { <items unknown> }";
      case "[object WeakSet]":
        return "WeakSet { <items unknown> }";
    }
  } catch {
    // A @@toStringTag that lies: render as a plain object.
  }
  return undefined;
}

function isMap(value) {
  return ops.builtinKind(value) === KIND.map;
}

function isSet(value) {
  return ops.builtinKind(value) === KIND.set;
}

function formatFunction(ctx, fn, level) {
  const ownName = ownDataValue(fn, "name");
  const name = typeof ownName === "string" ? ownName : "";
  let source = "";
  try {
    source = FunctionPrototypeToString(fn);
  } catch {
    // a Proxy of a function
  }
  let base;
  if (RegExpPrototypeExec(CLASS_SOURCE, source) !== null) {
    base = `class ${name === "" ? "(anonymous)" : name}`;
    try {
      const parent = ObjectGetPrototypeOf(fn);
      const parentName = parent === null ? "" : ownDataValue(parent, "name");
      if (typeof parentName === "string" && parentName !== "") base += ` extends ${parentName}`;
    } catch {
      // a Proxy: no parent shown
    }
    base = `[${base}]`;
  } else {
    // "Function", "AsyncFunction", "GeneratorFunction", "AsyncGeneratorFunction"
    let kind = "Function";
    const tag = toStringTagOf(fn);
    if (tag === "AsyncFunction" || tag === "GeneratorFunction" || tag === "AsyncGeneratorFunction") kind = tag;
    base = name === "" ? `[${kind} (anonymous)]` : `[${kind}: ${name}]`;
  }
  const keys = ownEnumerableKeys(fn, false);
  if (keys.length === 0 || level > ctx.depth) return base;
  ctx.seen[ctx.seen.length] = fn;
  const entries = [];
  for (let i = 0; i < keys.length; i++) ArrayPrototypePush(entries, formatProperty(ctx, fn, keys[i], level));
  ctx.seen.length--;
  return joinEntries(ctx, `${base} `, "{", "}", entries);
}

// An Error prints as its stack (which V8 starts with "Name: message"), then its own
// enumerable properties and its cause, as Node does.
function formatError(ctx, error, level) {
  let text;
  let stack;
  try {
    stack = error.stack;
  } catch {
    // a throwing getter
  }
  if (typeof stack === "string" && stack !== "") {
    text = stripLayerFrames(stack);
  } else {
    let name = "Error";
    let message = "";
    try {
      name = String(error.name);
      message = String(error.message);
    } catch {
      // keep the defaults
    }
    text = `[${message === "" ? name : `${name}: ${message}`}]`;
  }
  if (ctx.indentation > 0) {
    // Indent the stack's lines to the level the error is printed at.
    const indent = StringPrototypeRepeat(" ", ctx.indentation);
    text = ArrayPrototypeJoin(StringPrototypeSplit(text, "\n"), `\n${indent}`);
  }
  const keys = ownEnumerableKeys(error, false);
  const hasCause = ObjectPrototypeHasOwnProperty(error, "cause") && !ArrayPrototypeIncludes(keys, "cause");
  if ((keys.length === 0 && !hasCause) || level > ctx.depth) return text;
  ctx.seen[ctx.seen.length] = error;
  const entries = [];
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === "stack" || keys[i] === "message") continue;
    ArrayPrototypePush(entries, formatProperty(ctx, error, keys[i], level));
  }
  if (hasCause) {
    const descriptor = ReflectGetOwnPropertyDescriptor(error, "cause");
    const cause = isDataDescriptor(descriptor) ? formatValue(ctx, descriptor.value, level + 1, true) : "[Getter]";
    ArrayPrototypePush(entries, `[cause]: ${cause}`);
  }
  ctx.seen.length--;
  if (entries.length === 0) return text;
  return joinEntries(ctx, `${text} `, "{", "}", entries);
}

// Node's reduceToSingleString: entries go on one line if that line (with Node's allowance
// for the indentation and braces) fits in 80 columns and no entry spans lines; else one
// entry per line, indented two spaces deeper than the object. Grouped array rows (fewer
// rows than entries) always go on separate lines.
function joinEntries(ctx, prefix, open, close, entries, ungroupedCount = entries.length) {
  if (entries.length === 0) return `${prefix}${open}${close}`;
  if (entries.length === ungroupedCount && !StringPrototypeIncludes(prefix, "\n")) {
    let total = entries.length * 2 + ctx.indentation + prefix.length + open.length + 10;
    let fits = total <= INSPECT_BREAK_LENGTH;
    for (let i = 0; fits && i < entries.length; i++) {
      total += entries[i].length;
      if (total > INSPECT_BREAK_LENGTH || StringPrototypeIncludes(entries[i], "\n")) fits = false;
    }
    if (fits) return `${prefix}${open} ${ArrayPrototypeJoin(entries, ", ")} ${close}`;
  }
  const indent = StringPrototypeRepeat(" ", ctx.indentation);
  return `${prefix}${open}\n${indent}  ${ArrayPrototypeJoin(entries, `,\n${indent}  `)}\n${indent}${close}`;
}

// ---- printf-style formatting (Console §2.2.1 "Formatter", with Node's conversions) ----

// True if the object's toString is one the user wrote (then %s uses it), false if it is
// a built-in one (then %s inspects the object).
function hasUserToString(object) {
  try {
    let proto = object;
    while (proto !== null) {
      const descriptor = ReflectGetOwnPropertyDescriptor(proto, "toString");
      if (descriptor !== undefined) {
        const toString = isDataDescriptor(descriptor) ? descriptor.value : undefined;
        if (typeof toString !== "function") return false;
        return !StringPrototypeIncludes(FunctionPrototypeToString(toString), "[native code]");
      }
      proto = ObjectGetPrototypeOf(proto);
    }
  } catch {
    // a Proxy: treat as built-in
  }
  return false;
}

function formatArgs(args) {
  if (args.length === 0) return "";
  const first = args[0];
  let out = "";
  let next = 0;
  if (typeof first === "string") {
    if (args.length === 1) return first;
    next = 1;
    let last = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (StringPrototypeCharCodeAt(first, i) !== 0x25 /* % */) continue;
      const directive = first[i + 1];
      let replacement;
      if (directive === "%") {
        replacement = "%";
      } else if (next < args.length) {
        const arg = args[next];
        switch (directive) {
          case "s":
            if (typeof arg === "number") replacement = formatNumber(arg);
            else if (typeof arg === "bigint") replacement = `${arg}n`;
            else if (typeof arg === "symbol") replacement = SymbolPrototypeToString(arg);
            else if (typeof arg !== "object" || arg === null || hasUserToString(arg)) replacement = String(arg);
            else replacement = inspect(arg, 0);
            break;
          case "d":
            if (typeof arg === "bigint") replacement = `${arg}n`;
            else if (typeof arg === "symbol") replacement = "NaN";
            else replacement = formatNumber(Number(arg));
            break;
          case "i":
            if (typeof arg === "bigint") replacement = `${arg}n`;
            else if (typeof arg === "symbol") replacement = "NaN";
            else replacement = formatNumber(parseInt(arg));
            break;
          case "f":
            replacement = typeof arg === "symbol" ? "NaN" : formatNumber(parseFloat(arg));
            break;
          case "j":
            try {
              const json = JSONStringify(arg);
              replacement = json === undefined ? "undefined" : json;
            } catch {
              replacement = "[Circular]";
            }
            break;
          case "o":
            replacement = inspect(arg, 4);
            break;
          case "O":
            replacement = inspect(arg);
            break;
          case "c":
            replacement = ""; // CSS has no meaning in a log line
            break;
        }
        if (replacement !== undefined) next++;
      }
      if (replacement === undefined) continue;
      out += StringPrototypeSlice(first, last, i) + replacement;
      last = i + 2;
      i++;
    }
    out += StringPrototypeSlice(first, last);
  }
  for (; next < args.length; next++) {
    const arg = args[next];
    if (out !== "" || next > 0) out += " ";
    out += typeof arg === "string" ? arg : inspect(arg);
  }
  return out;
}

// Formats without ever throwing: a user toString or Proxy trap that throws must not turn
// a log line into an exception.
function safeFormat(args) {
  try {
    return formatArgs(args);
  } catch (error) {
    return `[console could not format its arguments: ${describe(error)}]`;
  }
}

// The report of an exception nobody caught (queueMicrotask callbacks, listeners that
// threw after respondWith(), waitUntil() rejections).
function reportUncaught(error, inPromise = false) {
  let text;
  try {
    text = inspect(error);
  } catch {
    text = describe(error);
  }
  emit(LEVEL_ERROR, `Uncaught ${inPromise ? "(in promise) " : ""}${text}`);
}

// ---- counters, timers, groups (Console §1.2-1.4) -------------------------------------

// Per instance: a snapshot is made before any worker code runs, and internals.resetClock
// empties them again when an instance starts.
const consoleCounts = new Map();
const consoleTimers = new Map();
let groupIndent = "";

function resetConsoleState() {
  MapPrototypeClear(consoleCounts);
  MapPrototypeClear(consoleTimers);
  groupIndent = "";
}

// What the namespace's members print: indented by the groups open, every line of it.
function print(level, text) {
  if (groupIndent !== "") text = groupIndent + StringPrototypeReplace(text, /\n/g, "\n" + groupIndent);
  emit(level, text);
}

// "1.234ms", or "1.5s" from a second on, as Node prints console.timeEnd.
function formatDuration(ms) {
  return ms >= 1000 ? `${+NumberPrototypeToFixed(ms / 1000, 3)}s` : `${+NumberPrototypeToFixed(ms, 3)}ms`;
}

// console.table: Node's box drawing and cells (strings quoted); rows are the data's own enumerable
// keys, columns the keys of the rows that are objects (or `properties`), and a "Values"
// column for rows that are not.
function formatTable(data, properties) {
  // the columns: `properties` as given, else every row's keys in the order first seen
  const fixed = properties !== undefined;
  const columns = [];
  if (fixed) for (let j = 0; j < properties.length; j++) ArrayPrototypePush(columns, String(properties[j]));
  const seen = new Map();
  let hasValues = false;
  const rows = [];
  const keys = ObjectKeys(data);
  const cell = (value) => {
    try {
      return typeof value === "string" ? quoteString(value) : inspect(value, 0);
    } catch {
      return "?";
    }
  };
  for (let i = 0; i < keys.length; i++) {
    const value = data[keys[i]];
    const row = { index: keys[i], cells: new Map(), value: undefined, primitive: false };
    if (value !== null && typeof value === "object") {
      const own = fixed ? columns : ObjectKeys(value);
      for (let j = 0; j < own.length; j++) {
        const key = own[j];
        if (!fixed && !MapPrototypeHas(seen, key)) {
          MapPrototypeSet(seen, key, true);
          ArrayPrototypePush(columns, key);
        }
        if (key in value) MapPrototypeSet(row.cells, key, cell(value[key]));
      }
    } else {
      row.primitive = true;
      row.value = cell(value);
      hasValues = true;
    }
    ArrayPrototypePush(rows, row);
  }
  const header = ["(index)"];
  for (let j = 0; j < columns.length; j++) ArrayPrototypePush(header, columns[j]);
  if (hasValues) ArrayPrototypePush(header, "Values");
  const lines = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const line = [r.index];
    for (let j = 0; j < columns.length; j++) {
      const text = MapPrototypeGet(r.cells, columns[j]);
      ArrayPrototypePush(line, text === undefined ? "" : text);
    }
    if (hasValues) ArrayPrototypePush(line, r.primitive ? r.value : "");
    ArrayPrototypePush(lines, line);
  }
  const widths = [];
  for (let j = 0; j < header.length; j++) {
    let width = header[j].length;
    for (let i = 0; i < lines.length; i++) width = MathMax(width, lines[i][j].length);
    ArrayPrototypePush(widths, width + 2);
  }
  const rule = (l, m, r) => {
    const parts = [];
    for (let j = 0; j < widths.length; j++) ArrayPrototypePush(parts, StringPrototypeRepeat("─", widths[j]));
    return l + ArrayPrototypeJoin(parts, m) + r;
  };
  const row = (cells) => {
    const parts = [];
    for (let j = 0; j < widths.length; j++) ArrayPrototypePush(parts, pad(" " + cells[j], widths[j], false));
    return "│" + ArrayPrototypeJoin(parts, "│") + "│";
  };
  const out = [rule("┌", "┬", "┐"), row(header), rule("├", "┼", "┤")];
  for (let i = 0; i < lines.length; i++) ArrayPrototypePush(out, row(lines[i]));
  ArrayPrototypePush(out, rule("└", "┴", "┘"));
  return ArrayPrototypeJoin(out, "\n");
}

// ---- the namespace ------------------------------------------------------------------

// Console is a WebIDL namespace (§3.13): an object whose [[Prototype]] is an empty object
// inheriting from Object.prototype, with @@toStringTag "console" and enumerable members.
const consoleNamespace = ObjectCreate(ObjectCreate(Object.prototype));
{
  // Declared in this block so that their names (console.log.name === "log") do not
  // become names in the layer's shared scope.
  function debug(...data) {
    print(LEVEL_DEBUG, safeFormat(data));
  }

  function info(...data) {
    print(LEVEL_INFO, safeFormat(data));
  }

  function log(...data) {
    print(LEVEL_INFO, safeFormat(data));
  }

  function warn(...data) {
    print(LEVEL_WARN, safeFormat(data));
  }

  function error(...data) {
    print(LEVEL_ERROR, safeFormat(data));
  }

  // Console §1.1.11: "Trace: <data>" and the caller's stack, at the log level (browsers
  // classify it so; it is not an error).
  function trace(...data) {
    let stack = "";
    try {
      const holder = {};
      ErrorCaptureStackTrace(holder, trace); // drops this frame and the ones above it
      const full = stripLayerFrames(String(holder.stack));
      const newline = StringPrototypeIndexOf(full, "\n");
      if (newline !== -1) stack = StringPrototypeSlice(full, newline);
    } catch {
      // no stack to show
    }
    print(LEVEL_INFO, `Trace${data.length > 0 ? ": " + safeFormat(data) : ""}${stack}`);
  }

  // Console §1.1.1: prints only when the condition is falsy.
  function assert(condition = false, ...data) {
    if (condition) return;
    if (data.length > 0 && typeof data[0] === "string") {
      data[0] = `Assertion failed: ${data[0]}`;
      print(LEVEL_ERROR, safeFormat(data));
    } else {
      const rest = data.length > 0 ? " " + safeFormat(data) : "";
      print(LEVEL_ERROR, `Assertion failed${rest}`);
    }
  }

  function dir(item = undefined, options = undefined) {
    let text;
    try {
      text = inspect(item);
    } catch (error) {
      text = `[console could not format its arguments: ${describe(error)}]`;
    }
    print(LEVEL_INFO, text);
  }

  function dirxml(...data) {
    print(LEVEL_INFO, safeFormat(data));
  }

  function table(tabularData = undefined, properties = undefined) {
    if (tabularData === null || typeof tabularData !== "object") {
      print(LEVEL_INFO, safeFormat([tabularData]));
      return;
    }
    let text;
    try {
      text = formatTable(tabularData, ArrayIsArray(properties) ? properties : undefined);
    } catch (error) {
      text = `[console could not format its arguments: ${describe(error)}]`;
    }
    print(LEVEL_INFO, text);
  }

  // No screen to clear: a log only leaves the groups open so far.
  function clear() {
    groupIndent = "";
  }

  function count(label = "default") {
    label = String(label);
    const n = (MapPrototypeGet(consoleCounts, label) || 0) + 1;
    MapPrototypeSet(consoleCounts, label, n);
    print(LEVEL_INFO, `${label}: ${n}`);
  }

  function countReset(label = "default") {
    label = String(label);
    if (MapPrototypeHas(consoleCounts, label)) MapPrototypeSet(consoleCounts, label, 0);
    else print(LEVEL_WARN, `Count for '${label}' does not exist`);
  }

  function group(...data) {
    if (data.length > 0) print(LEVEL_INFO, safeFormat(data));
    groupIndent += "  ";
  }

  // (a log cannot collapse anything)
  function groupCollapsed(...data) {
    ReflectApply(group, undefined, data);
  }

  function groupEnd() {
    groupIndent = StringPrototypeSlice(groupIndent, 2);
  }

  function time(label = "default") {
    label = String(label);
    if (MapPrototypeHas(consoleTimers, label)) {
      print(LEVEL_WARN, `Timer '${label}' already exists`);
      return;
    }
    MapPrototypeSet(consoleTimers, label, ops.now());
  }

  function timeLog(label = "default", ...data) {
    label = String(label);
    const started = MapPrototypeGet(consoleTimers, label);
    if (started === undefined) {
      print(LEVEL_WARN, `Timer '${label}' does not exist`);
      return;
    }
    const rest = data.length > 0 ? " " + safeFormat(data) : "";
    print(LEVEL_INFO, `${label}: ${formatDuration(ops.now() - started)}${rest}`);
  }

  function timeEnd(label = "default") {
    label = String(label);
    const started = MapPrototypeGet(consoleTimers, label);
    if (started === undefined) {
      print(LEVEL_WARN, `Timer '${label}' does not exist`);
      return;
    }
    MapPrototypeDelete(consoleTimers, label);
    print(LEVEL_INFO, `${label}: ${formatDuration(ops.now() - started)}`);
  }

  const members = {
    assert, clear, count, countReset, debug, dir, dirxml, error, group, groupCollapsed, groupEnd, info, log,
    table, time, timeEnd, timeLog, trace, warn,
  };
  const names = ObjectKeys(members);
  for (let i = 0; i < names.length; i++) {
    ObjectDefineProperty(consoleNamespace, names[i], {
      value: members[names[i]],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}
setToStringTag(consoleNamespace, "console");

// ---- how the layer's own classes print ---------------------------------------------------

{
  const decoderFatal = uncurryGetter(TextDecoder.prototype, "fatal");
  const decoderIgnoreBOM = uncurryGetter(TextDecoder.prototype, "ignoreBOM");
  registerInspector(TextEncoder, () => ["encoding", "utf-8"]);
  registerInspector(TextDecoder, (decoder) => [
    "encoding", "utf-8",
    "fatal", decoderFatal(decoder),
    "ignoreBOM", decoderIgnoreBOM(decoder),
  ]);
  registerInspector(Headers, (headers) => ArrayPrototypeSlice(headersInternals.sorted(headers)));
  registerInspector(Request, (request) => {
    const parts = requestInternals.parts(request);
    const inner = requestInternals.body(request, "");
    return [
      "method", parts.method,
      "url", parts.url,
      "headers", parts.headers,
      "redirect", parts.redirect,
      "bodyUsed", inner !== null && inner.disturbed,
    ];
  });
  registerInspector(Response, (response) => {
    const parts = responseInternals.parts(response);
    return [
      "status", parts.status,
      "statusText", parts.statusText,
      "headers", parts.headers,
      "bodyUsed", parts.body !== null && parts.body.disturbed,
      "ok", parts.status >= 200 && parts.status <= 299,
      "redirected", parts.redirected,
      "type", parts.type,
      "url", parts.url,
    ];
  });
}
