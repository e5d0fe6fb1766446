import assert from "node:assert/strict";
import { timingSafeEqual } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ConfigError, loadConfig } from "./config.js";
import {
  createOperatorCheck,
  ensureOperatorTokenFile,
  OPERATOR_TOKEN_MIN_LENGTH,
  operatorTokenFileSetting,
  operatorTokenSetting,
  readOperatorTokenFile,
} from "./operator.js";

const dir = mkdtempSync(join(tmpdir(), "starlane-operator-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = "tok_0123456789abcdefghijklmnopqrstuvwxyz";

test("the right token is accepted; wrong, missing, malformed and other-length ones are refused", () => {
  const check = createOperatorCheck(TOKEN);
  assert.equal(check(`Bearer ${TOKEN}`), true);
  assert.equal(check(`bearer ${TOKEN}`), true); // the scheme is case-insensitive (RFC 7235)
  const refused = [
    undefined,
    "",
    "Bearer",
    `Basic ${TOKEN}`,
    TOKEN,
    `Bearer ${TOKEN.slice(0, -1)}x`, // same length, last character wrong
    `Bearer x${TOKEN.slice(1)}`, // same length, first character wrong
    `Bearer ${TOKEN.slice(0, -1)}`, // shorter
    `Bearer ${TOKEN}a`, // longer
    `Bearer ${"a".repeat(10_000)}`,
    `Bearer ${TOKEN} ${TOKEN}`,
  ];
  for (const header of refused) assert.equal(check(header), false, String(header).slice(0, 60));
});

test("every check compares two 32-byte digests in constant time, whatever is presented", () => {
  const seen: [number, number][] = [];
  const check = createOperatorCheck(TOKEN, (a, b) => {
    seen.push([a.length, b.length]);
    return timingSafeEqual(a, b);
  });
  const presented = [undefined, "Bearer short", `Bearer ${TOKEN}`, `Bearer ${TOKEN}${TOKEN}`, "Basic abc"];
  for (const h of presented) check(h);
  // One comparison per request, never skipped for a missing or oddly sized value, never of raw strings.
  assert.deepEqual(
    seen,
    presented.map(() => [32, 32]),
  );
});

test("with no token configured nothing is accepted", () => {
  const check = createOperatorCheck(undefined);
  for (const h of [undefined, "", "Bearer ", "Bearer undefined", `Bearer ${TOKEN}`]) assert.equal(check(h), false);
});

test("STARLANE_OPERATOR_TOKEN: unset stays undefined; short or odd values fail naming the setting", () => {
  const spec = { token: operatorTokenSetting, file: operatorTokenFileSetting };
  assert.deepEqual(loadConfig(spec, {}), { token: undefined, file: ".starlane/operator-token" });
  assert.equal(loadConfig(spec, { STARLANE_OPERATOR_TOKEN: ` ${TOKEN} ` }).token, TOKEN);
  assert.throws(
    () => loadConfig(spec, { STARLANE_OPERATOR_TOKEN: "a".repeat(OPERATOR_TOKEN_MIN_LENGTH - 1) }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message === `config STARLANE_OPERATOR_TOKEN: must be at least 32 characters, got 31`,
  );
  assert.throws(
    () => loadConfig(spec, { STARLANE_OPERATOR_TOKEN: `${TOKEN} with spaces` }),
    /config STARLANE_OPERATOR_TOKEN: may only contain/,
  );
});

test("the token file is created 0600 in a new 0700 folder, and reused on the next start", () => {
  const path = join(dir, "fresh", ".starlane", "operator-token");
  const first = ensureOperatorTokenFile(path);
  assert.equal(first.created, true);
  assert.equal(first.path, path);
  assert.ok(first.token.length >= OPERATOR_TOKEN_MIN_LENGTH);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "fresh", ".starlane")).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, "fresh")).mode & 0o777, 0o700);
  assert.equal(readFileSync(path, "utf8").trim(), first.token);
  // Nothing left beside it.
  assert.equal(readOperatorTokenFile(path), first.token);
  const second = ensureOperatorTokenFile(path);
  assert.deepEqual(second, { token: first.token, path, created: false });
  assert.notEqual(ensureOperatorTokenFile(join(dir, "other", "operator-token")).token, first.token);
});

test("a missing file reads as undefined; a file others may read is refused, not repaired", () => {
  assert.equal(readOperatorTokenFile(join(dir, "nothing-here")), undefined);
  const path = join(dir, "wide-token");
  writeFileSync(path, `${TOKEN}\n`, { mode: 0o644 });
  chmodSync(path, 0o644);
  for (const f of [() => readOperatorTokenFile(path), () => ensureOperatorTokenFile(path)]) {
    assert.throws(f, (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.setting, "STARLANE_OPERATOR_TOKEN_FILE");
      assert.match(err.message, new RegExp(`${path} may be read by other users \\(mode 0644\\)`));
      assert.ok(!err.message.includes(TOKEN), "the token is never in the message");
      return true;
    });
  }
  // Left as it was, so the operator sees what happened.
  assert.equal(statSync(path).mode & 0o777, 0o644);
  chmodSync(path, 0o600);
  assert.equal(readOperatorTokenFile(path), TOKEN);
});

test("a token file that is a link, or holds no usable token, is refused", () => {
  const target = join(dir, "link-target");
  writeFileSync(target, TOKEN, { mode: 0o600 });
  const link = join(dir, "link");
  symlinkSync(target, link);
  assert.throws(() => readOperatorTokenFile(link), /is not a plain file/);
  const short = join(dir, "short");
  writeFileSync(short, "abc\n", { mode: 0o600 });
  assert.throws(() => ensureOperatorTokenFile(short), /does not hold a usable token \(must be at least 32/);
});
