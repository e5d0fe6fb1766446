import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "@starlane/shared";
import { colyseusLogger } from "../src/colyseus-log.js";

test("Colyseus's errors go to the zone log, at most 5 a second; the rest are counted and said once", () => {
  const lines: { level: number; msg: string; dropped?: number }[] = [];
  const log = createLogger("zone", "trace", { write: (s: string) => lines.push(JSON.parse(s)) });
  let t = 10_000;
  const c = colyseusLogger(log, () => t);
  for (let i = 0; i < 50; i++) c.error(new Error(`couldn't decode message ${i}`));
  assert.equal(lines.filter((l) => l.level === 50).length, 5);
  assert.match(lines[0]!.msg, /couldn't decode message 0/);
  t += 1000;
  c.error("a real error");
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.at(-2)?.dropped, 45);
  assert.match(errors.at(-1)!.msg, /a real error/);
  c.warn("latency simulation");
  assert.equal(lines.at(-1)?.level, 40);
});
