import assert from "node:assert/strict";
import { test } from "node:test";
import { CloseCode } from "@starlane/shared/client";
import { afterClose, backoffMs } from "./close-policy.js";

test("close codes: come back by world entry unless the close says not to", () => {
  for (const code of [CloseCode.Replaced, CloseCode.Malformed, CloseCode.MessageTooLarge])
    assert.equal(afterClose(code).next, "stop", String(code));
  for (const code of [CloseCode.ShuttingDown, CloseCode.RegionMoved, CloseCode.Unauthorized, 1006, 4002])
    assert.equal(afterClose(code).next, "enter", String(code));
  assert.ok(afterClose(CloseCode.RateLimited).minDelayMs >= 1000, "a rate-limited client pauses first");
  for (const code of Object.values(CloseCode)) assert.ok(afterClose(code).message.length > 0);
});

test("backoff doubles up to 10 s, jittered within the upper half", () => {
  assert.equal(
    backoffMs(0, 0, () => 0),
    250,
  );
  assert.equal(
    backoffMs(0, 0, () => 1),
    500,
  );
  assert.equal(
    backoffMs(3, 0, () => 1),
    4000,
  );
  assert.equal(
    backoffMs(20, 0, () => 1),
    10_000,
  );
  assert.equal(
    backoffMs(20, 0, () => 0),
    5000,
  );
  assert.equal(
    backoffMs(0, 2000, () => 0),
    2000,
    "never below the close's minimum",
  );
});
