"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");

test("loads the native uWebSockets.js binary through uws-pack", () => {
  const uws = require("..");
  assert.equal(typeof uws.App, "function");
  assert.equal(typeof uws.us_listen_socket_close, "function");
});
