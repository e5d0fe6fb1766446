import assert from "node:assert/strict";
import { test } from "node:test";
import { clientIp } from "../src/client-ip.js";

test("with no trusted proxy, X-Forwarded-For is ignored (a client cannot pick its own bucket)", () => {
  assert.equal(clientIp("10.0.0.9", "1.2.3.4", 0), "10.0.0.9");
});

test("with trusted proxies, the client is the entry the outermost one appended", () => {
  assert.equal(clientIp("10.0.0.9", "203.0.113.7", 1), "203.0.113.7");
  // The client forged the first entry; our one proxy appended the real address.
  assert.equal(clientIp("10.0.0.9", "1.2.3.4, 203.0.113.7", 1), "203.0.113.7");
  // Two proxies: the inner one appended the outer one's address.
  assert.equal(clientIp("10.0.0.9", "1.2.3.4, 203.0.113.7, 10.0.0.2", 2), "203.0.113.7");
  // Shorter than configured (a request that skipped a proxy): the first entry, not the socket.
  assert.equal(clientIp("10.0.0.9", "203.0.113.7", 2), "203.0.113.7");
  assert.equal(clientIp("10.0.0.9", "", 1), "10.0.0.9");
});
