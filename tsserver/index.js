// `{ "plugins": [{ "name": "semic/tsserver" }] }` in a tsconfig.json: tsserver resolves the name to
// this file and calls the function it exports (compiler/plugin/tsserver.ts, bundled by the build
// as CommonJS: see compiler/plugin/bundleTsserver.ts).
"use strict";
module.exports = require("../dist/compiler/plugin/tsserver.cjs").init;
