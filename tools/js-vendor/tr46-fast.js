// tr46 with the URL Standard's fast path (URL §3.3 "domain to ASCII", step 1 note): when
// beStrict is false and the domain is ASCII with no label starting with "xn--", UTS #46
// processing is the same as ASCII lowercasing. That is almost every host, and skips
// tr46's mapping and validation (~25 us per host).
//
// tr46 itself is required on first use: its module builds the UTS #46 mapping table and
// compiles large Unicode regexes, which would otherwise sit in every instance's startup
// snapshot (a third of its size, and of each instance's start-up time).
"use strict";
let tr46;
function full() {
  if (tr46 === undefined) tr46 = require("./node_modules/tr46/index.js");
  return tr46;
}

const ASCII_NO_PUNYCODE = /^(?![\s\S]*(?:^|\.)[xX][nN]--)[\x00-\x7f]*$/;

function toASCII(domain, options) {
  if (!options.useSTD3ASCIIRules && !options.verifyDNSLength && !options.checkHyphens &&
      ASCII_NO_PUNYCODE.test(domain)) {
    return domain.toLowerCase();
  }
  return full().toASCII(domain, options);
}

module.exports = { toASCII, toUnicode: (domain, options) => full().toUnicode(domain, options) };
