// domexception.js: DOMException (WebIDL §3.14.1) and the helper the layer throws them with.

// WebIDL's table of error names and their legacy codes (0 for names added later).
const DOMEXCEPTION_CODES = {
  __proto__: null,
  IndexSizeError: 1,
  HierarchyRequestError: 3,
  WrongDocumentError: 4,
  InvalidCharacterError: 5,
  NoModificationAllowedError: 7,
  NotFoundError: 8,
  NotSupportedError: 9,
  InUseAttributeError: 10,
  InvalidStateError: 11,
  SyntaxError: 12,
  InvalidModificationError: 13,
  NamespaceError: 14,
  InvalidAccessError: 15,
  TypeMismatchError: 17,
  SecurityError: 18,
  NetworkError: 19,
  AbortError: 20,
  URLMismatchError: 21,
  QuotaExceededError: 22,
  TimeoutError: 23,
  InvalidNodeTypeError: 24,
  DataCloneError: 25,
};

// The legacy constants, on the interface object and on its prototype.
const DOMEXCEPTION_CONSTANTS = [
  ["INDEX_SIZE_ERR", 1], ["DOMSTRING_SIZE_ERR", 2], ["HIERARCHY_REQUEST_ERR", 3],
  ["WRONG_DOCUMENT_ERR", 4], ["INVALID_CHARACTER_ERR", 5], ["NO_DATA_ALLOWED_ERR", 6],
  ["NO_MODIFICATION_ALLOWED_ERR", 7], ["NOT_FOUND_ERR", 8], ["NOT_SUPPORTED_ERR", 9],
  ["INUSE_ATTRIBUTE_ERR", 10], ["INVALID_STATE_ERR", 11], ["SYNTAX_ERR", 12],
  ["INVALID_MODIFICATION_ERR", 13], ["NAMESPACE_ERR", 14], ["INVALID_ACCESS_ERR", 15],
  ["VALIDATION_ERR", 16], ["TYPE_MISMATCH_ERR", 17], ["SECURITY_ERR", 18],
  ["NETWORK_ERR", 19], ["ABORT_ERR", 20], ["URL_MISMATCH_ERR", 21],
  ["QUOTA_EXCEEDED_ERR", 22], ["TIMEOUT_ERR", 23], ["INVALID_NODE_TYPE_ERR", 24],
  ["DATA_CLONE_ERR", 25],
];

let domExceptionInternals;

class DOMException {
  #name;
  #message;

  constructor(message = "", name = "Error") {
    const prefix = constructPrefix("DOMException");
    this.#message = toDOMString(message, prefix, "The message");
    this.#name = toDOMString(name, prefix, "The name");
    // Like an Error, a DOMException carries the stack of where it was created.
    if (typeof ErrorCaptureStackTrace === "function") ErrorCaptureStackTrace(this, DOMException);
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#name in self)) throw illegalInvocation(prefix);
  }

  get name() {
    DOMException.#check(this, "Failed to read the 'name' property from 'DOMException'");
    return this.#name;
  }

  get message() {
    DOMException.#check(this, "Failed to read the 'message' property from 'DOMException'");
    return this.#message;
  }

  get code() {
    DOMException.#check(this, "Failed to read the 'code' property from 'DOMException'");
    const code = DOMEXCEPTION_CODES[this.#name];
    return code === undefined ? 0 : code;
  }

  static {
    domExceptionInternals = {
      is: (value) => typeof value === "object" && value !== null && #name in value,
      parts: (value) => ({ name: value.#name, message: value.#message }),
    };
  }
}

// WebIDL: DOMException.prototype's [[Prototype]] is %Error.prototype%.
ObjectSetPrototypeOf(DOMException.prototype, Error.prototype);
for (let i = 0; i < DOMEXCEPTION_CONSTANTS.length; i++) {
  const [constant, value] = DOMEXCEPTION_CONSTANTS[i];
  const descriptor = { value, writable: false, enumerable: true, configurable: false };
  ObjectDefineProperty(DOMException, constant, descriptor);
  ObjectDefineProperty(DOMException.prototype, constant, descriptor);
}
setToStringTag(DOMException.prototype, "DOMException");

function domException(message, name) {
  return new DOMException(message, name);
}
