import assert from "node:assert/strict";
import { test } from "node:test";
import { createConnectionEdge, originOf } from "./edge.js";
import { StarlaneError } from "./protocol.js";

const code = (r: unknown) => (r instanceof StarlaneError ? r.code : r === null ? null : "admitted");

test("origins: listed pages pass, others are refused, no Origin (a bot) passes", () => {
  const edge = createConnectionEdge({
    allowedOrigins: ["http://localhost:8080"],
    maxConnectionsPerIp: 0,
    upgradesPerIpPerS: 0,
  });
  assert.equal(edge.precheck("1.1.1.1", "http://localhost:8080"), null);
  assert.equal(edge.precheck("1.1.1.1", "HTTP://LOCALHOST:8080"), null);
  assert.equal(edge.precheck("1.1.1.1", undefined), null);
  assert.equal(code(edge.precheck("1.1.1.1", "https://evil.example")), "STARLANE_ERR_ORIGIN_REFUSED");
  assert.equal(code(edge.precheck("1.1.1.1", "http://localhost:8081")), "STARLANE_ERR_ORIGIN_REFUSED");
  assert.equal(code(edge.precheck("1.1.1.1", "null")), "STARLANE_ERR_ORIGIN_REFUSED");
  assert.equal(originOf("not a url"), null);
  const any = createConnectionEdge({ allowedOrigins: ["*"], maxConnectionsPerIp: 0, upgradesPerIpPerS: 0 });
  assert.equal(any.precheck("1.1.1.1", "https://anything.example"), null);
});

test("per-address caps: open connections and upgrades per second; other addresses and lt tokens unaffected", () => {
  let t = 10_000;
  const edge = createConnectionEdge({ allowedOrigins: [], maxConnectionsPerIp: 2, upgradesPerIpPerS: 3, now: () => t });
  const a = edge.admit("1.1.1.1", false);
  const b = edge.admit("1.1.1.1", false);
  assert.equal(typeof a, "function");
  assert.equal(typeof b, "function");
  assert.equal(code(edge.admit("1.1.1.1", false)), "STARLANE_ERR_TOO_MANY_CONNECTIONS");
  assert.equal(edge.connections("1.1.1.1"), 2);
  // Three attempts used this second: the next is refused before its token is even looked at.
  assert.equal(code(edge.precheck("1.1.1.1", undefined)), "STARLANE_ERR_RATE_LIMITED");
  assert.equal(edge.precheck("2.2.2.2", undefined), null);
  assert.equal(code(edge.admit("1.1.1.1", true)), "admitted");
  t += 1000;
  assert.equal(edge.precheck("1.1.1.1", undefined), null);
  (a as () => void)();
  (a as () => void)(); // released twice counts once
  assert.equal(edge.connections("1.1.1.1"), 1);
  assert.equal(code(edge.admit("1.1.1.1", false)), "admitted");
  // Refused tokens count too: a flood of bad tokens stops costing verifications after the cap.
  t += 1000;
  for (let i = 0; i < 3; i++) edge.countRefused("3.3.3.3");
  assert.equal(code(edge.precheck("3.3.3.3", undefined)), "STARLANE_ERR_RATE_LIMITED");
});

test("a continued connection (a handoff seat) is counted but never refused, so a player is not stranded mid-flight", () => {
  const t = 50_000;
  const edge = createConnectionEdge({ allowedOrigins: [], maxConnectionsPerIp: 1, upgradesPerIpPerS: 1, now: () => t });
  const first = edge.admit("3.3.3.3", false);
  assert.equal(typeof first, "function");
  assert.equal(code(edge.admit("3.3.3.3", false)), "STARLANE_ERR_RATE_LIMITED");
  const handoff = edge.admit("3.3.3.3", false, true);
  assert.equal(typeof handoff, "function", "over both caps, still admitted");
  assert.equal(edge.connections("3.3.3.3"), 2);
  (first as () => void)();
  assert.equal(edge.connections("3.3.3.3"), 1, "the seat it continues closes: one again");
});
