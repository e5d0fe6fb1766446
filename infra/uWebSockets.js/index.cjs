"use strict";
// uws-pack ships the uWebSockets.js binaries but only as an ESM module with named exports, and its
// package "exports" hide the binaries from require.resolve. @colyseus/uwebsockets-transport wants
// `import uWebSockets from "uWebSockets.js"` (a CommonJS default), so find the file by hand.
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const binary = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;

function locate() {
  for (const dir of require.resolve.paths("uws-pack") ?? []) {
    const candidate = join(dir, "uws-pack", "dist", "bin", binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const file = locate();
if (!file) {
  throw new Error(
    `uWebSockets.js: uws-pack@20.0.8 has no binary ${binary} for this platform ` +
      `(${process.platform}/${process.arch}, Node ${process.versions.node}, ABI ${process.versions.modules}). ` +
      "Supported: Linux/macOS/Windows on x64 and arm64 with Node 18, 20, 21 or 22. " +
      "Is uws-pack installed (npm ci)?",
  );
}

module.exports = require(file);
