// Bundles url-entry.js with esbuild for ./regenerate (see there). Two modules of the
// pinned packages are swapped for faster equivalents: tr46 (tr46-fast.js) and
// whatwg-url's lib/encoding.js (encoding-fast.js).
"use strict";
const path = require("path");
const esbuild = require("esbuild");

const fs = require("fs");

// whatwg-url's state machine looks its state handler up per character with a template
// string (`this[\`parse ${this.state}\`]`), most of its parse time; a Map from state
// name to handler gives the same function without building a string per character.
const STATE_LOOKUP = "this[`parse ${this.state}`](c, cStr)";
const STATE_LOOKUP_FAST = "parseStateHandler(this.state).call(this, c, cStr)";
const STATE_HELPER = `
const parseStateHandlers = new Map();
function parseStateHandler(state) {
  let handler = parseStateHandlers.get(state);
  if (handler === undefined) {
    handler = URLStateMachine.prototype["parse " + state];
    parseStateHandlers.set(state, handler);
  }
  return handler;
}
`;

const swaps = {
  name: "ski-swaps",
  setup(build) {
    build.onResolve({ filter: /^tr46$/ }, () => ({ path: path.join(__dirname, "tr46-fast.js") }));
    build.onResolve({ filter: /^\.\/encoding(\.js)?$/ }, (args) =>
      args.importer.includes(path.join("whatwg-url", "lib")) ? { path: path.join(__dirname, "encoding-fast.js") } : undefined);
    build.onLoad({ filter: /whatwg-url[\\/]lib[\\/]url-state-machine\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, "utf8");
      if (!source.includes(STATE_LOOKUP)) throw new Error("url-state-machine.js changed: update build-url.js");
      return { contents: source.replace(STATE_LOOKUP, STATE_LOOKUP_FAST) + STATE_HELPER, loader: "js" };
    });
  },
};

esbuild.build({
  entryPoints: [path.join(__dirname, "url-entry.js")],
  bundle: true,
  format: "iife",
  globalName: "vendorURL",
  target: "es2020",
  platform: "neutral",
  mainFields: ["main"],
  charset: "ascii",
  legalComments: "inline",
  logLevel: "warning",
  plugins: [swaps],
  outfile: process.argv[2],
}).catch(() => process.exit(1));
