// tr46 with the URL Standard's fast path (URL §3.3 "domain to ASCII", step 1 note): when
// beStrict is false and the domain is ASCII with no label starting with "xn--", UTS #46
// processing is the same as ASCII lowercasing. That is almost every host, and skips
// tr46's mapping and validation (~25 us per host).
"use strict";
const tr46 = require("./node_modules/tr46/index.js");

const ASCII_NO_PUNYCODE = /^(?![\s\S]*(?:^|\.)[xX][nN]--)[\x00-\x7f]*$/;

function toASCII(domain, options) {
  if (!options.useSTD3ASCIIRules && !options.verifyDNSLength && !options.checkHyphens &&
      ASCII_NO_PUNYCODE.test(domain)) {
    return domain.toLowerCase();
  }
  return tr46.toASCII(domain, options);
}

module.exports = { toASCII, toUnicode: tr46.toUnicode };
