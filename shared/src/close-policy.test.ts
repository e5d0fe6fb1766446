import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  afterClose,
  backoffMs,
  CLOSE_POLICY,
  type CloseAction,
  DEFAULT_BACKOFF,
  TransportCloseCode,
  UNKNOWN_CLOSE_POLICY,
} from "./close-policy.js";
import { CloseCode } from "./protocol.js";

const doc = readFileSync(new URL("../PROTOCOL.md", import.meta.url), "utf8");

test("close codes: come back by world entry unless the close says not to", () => {
  for (const code of [CloseCode.Replaced, CloseCode.Malformed, CloseCode.MessageTooLarge])
    assert.equal(afterClose(code).action, "stop", String(code));
  for (const code of [CloseCode.ShuttingDown, CloseCode.RegionMoved, CloseCode.HandedOff, 1006, 4002])
    assert.equal(afterClose(code).action, "reenter", String(code));
  assert.equal(afterClose(CloseCode.Unauthorized).action, "reauth", "an expired session is renewed first");
  assert.equal(afterClose(CloseCode.RateLimited).action, "reenter");
  assert.ok(afterClose(CloseCode.RateLimited).minDelayMs >= 1000, "a rate-limited client pauses first");
  for (const code of Object.values(CloseCode)) assert.ok(afterClose(code).message.length > 0);
});

test("every close code, the transport's and Colyseus's have an entry of their own", () => {
  for (const [name, code] of [...Object.entries(CloseCode), ...Object.entries(TransportCloseCode)])
    assert.ok(Object.hasOwn(CLOSE_POLICY, code), `${name} (${code}) has no policy entry`);
  for (const [code, p] of Object.entries(CLOSE_POLICY)) {
    assert.ok(["reenter", "reauth", "stop"].includes(p.action), `${code}: ${p.action}`);
    assert.ok(p.minDelayMs >= 0 && p.message.length > 0, code);
  }
});

test("an unknown code: come back on the backoff schedule, and say which code it was", () => {
  const p = afterClose(4999);
  assert.equal(p.action, UNKNOWN_CLOSE_POLICY.action);
  assert.equal(p.action, "reenter");
  assert.match(p.message, /4999/);
});

/** The "client" cell of PROTOCOL.md's row for `code` (its last column). */
function docClientCell(code: number): string {
  const row = doc.split("\n").find((l) => l.startsWith(`| ${code} |`));
  assert.ok(row, `no PROTOCOL.md row for close code ${code}`);
  const cells = row.split("|").map((c) => c.trim());
  return cells[cells.length - 2]!;
}

test("PROTOCOL.md says what the policy does for each close", () => {
  const actions: CloseAction[] = ["reenter", "reauth", "stop"];
  for (const [key, p] of Object.entries(CLOSE_POLICY)) {
    const cell = docClientCell(Number(key));
    assert.ok(cell.startsWith(`\`${p.action}\``), `close ${key}: PROTOCOL.md says "${cell}", the policy ${p.action}`);
    for (const other of actions.filter((a) => a !== p.action))
      assert.ok(!cell.includes(`\`${other}\``), `close ${key}: PROTOCOL.md also names ${other}`);
    if (p.minDelayMs > 0)
      assert.ok(
        cell.includes(`${p.minDelayMs / 1000} s`),
        `close ${key}: PROTOCOL.md omits the ${p.minDelayMs} ms pause`,
      );
  }
  assert.match(doc, new RegExp(`[Aa]ny other code[^\\n]*\`${UNKNOWN_CLOSE_POLICY.action}\``));
});

test("backoff: full jitter between 0 and base doubling per attempt up to the cap", () => {
  const s = { baseMs: 500, capMs: 10_000 };
  assert.equal(
    backoffMs(0, s, () => 0),
    0,
    "full jitter reaches down to 0",
  );
  assert.equal(
    backoffMs(0, s, () => 1),
    500,
  );
  assert.equal(
    backoffMs(1, s, () => 1),
    1000,
  );
  assert.equal(
    backoffMs(3, s, () => 1),
    4000,
  );
  assert.equal(
    backoffMs(3, s, () => 0.5),
    2000,
  );
  assert.equal(
    backoffMs(3, s, () => 0.25),
    1000,
  );
  assert.equal(
    backoffMs(20, s, () => 1),
    10_000,
    "capped",
  );
  assert.equal(
    backoffMs(2000, s, () => 0.5),
    5000,
    "no overflow far past the cap",
  );
  assert.equal(
    backoffMs(20, s, () => 0),
    0,
  );
  assert.equal(
    backoffMs(2, { baseMs: 100, capMs: 300 }, () => 1),
    300,
  );
  assert.deepEqual(DEFAULT_BACKOFF, { baseMs: 500, capMs: 10_000 });
  assert.equal(
    backoffMs(1, undefined, () => 1),
    1000,
    "the default schedule",
  );
});

test("backoff never waits less than the close's minimum pause", () => {
  const pause = afterClose(CloseCode.RateLimited).minDelayMs;
  const s = { ...DEFAULT_BACKOFF, minDelayMs: pause };
  assert.equal(
    backoffMs(0, s, () => 0),
    pause,
  );
  assert.equal(
    backoffMs(0, s, () => 1),
    pause,
    "the minimum is above the first ceiling",
  );
  assert.equal(
    backoffMs(4, s, () => 1),
    8000,
    "a ceiling above the minimum still counts",
  );
  for (let attempt = 0; attempt < 8; attempt++)
    for (const r of [0, 0.1, 0.5, 0.9, 0.999]) {
      const w = backoffMs(attempt, s, () => r);
      assert.ok(w >= pause && w <= Math.max(pause, Math.min(10_000, 500 * 2 ** attempt)), `${attempt} ${r}: ${w}`);
    }
});
