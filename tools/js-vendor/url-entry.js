// The parts of whatwg-url that core/js/url.js builds URL and URLSearchParams on: the
// URL Standard's parser and serializers (with tr46 for IDNA and punycode), and the
// application/x-www-form-urlencoded parser and serializer. The classes themselves are
// ski's own (core/js/url.js), in the layer's style.
"use strict";
const usm = require("whatwg-url/lib/url-state-machine.js");
const urlencoded = require("whatwg-url/lib/urlencoded.js");

module.exports = {
  basicURLParse: usm.basicURLParse,
  serializeURL: usm.serializeURL,
  serializeURLOrigin: usm.serializeURLOrigin,
  serializeHost: usm.serializeHost,
  serializeInteger: usm.serializeInteger,
  serializePath: usm.serializePath,
  setTheUsername: usm.setTheUsername,
  setThePassword: usm.setThePassword,
  cannotHaveAUsernamePasswordPort: usm.cannotHaveAUsernamePasswordPort,
  hasAnOpaquePath: usm.hasAnOpaquePath,
  parseUrlencodedString: urlencoded.parseUrlencodedString,
  serializeUrlencoded: urlencoded.serializeUrlencoded,
};
