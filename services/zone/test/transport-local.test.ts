import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalDriver, LocalPresence } from "@colyseus/core";
import { transportSmoke } from "./transport-smoke.js";

test("Colyseus on uWebSockets.js with in-process presence (embedded mode): the SDK client sees state", async () => {
  const state = await transportSmoke(new LocalPresence(), new LocalDriver());
  assert.equal(state.greeting, "hello from uWS");
  assert.ok(state.ticks >= 2);
});
