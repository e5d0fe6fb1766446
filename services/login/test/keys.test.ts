// Signing keys in PostgreSQL: scheduled rotation happens once across instances, and only when due.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { loadMigrations, migrate } from "@starlane/shared";
import { loadSigningKeys } from "../src/keys.js";
import { databaseFixture, type Fixture } from "./helpers.js";

let fx: Fixture;
before(async () => {
  fx = await databaseFixture();
  await migrate(fx.pool, "login", loadMigrations(fileURLToPath(new URL("../migrations", import.meta.url))));
});
after(() => fx.close());

const kids = (jwks: { keys: { kid?: string }[] }) => jwks.keys.map((k) => k.kid);

test("a scheduled rotation runs once when due, whichever instance sees it first", async () => {
  const [a, b] = await Promise.all([loadSigningKeys(fx.pool), loadSigningKeys(fx.pool)]);
  assert.deepEqual(kids(a.jwks()), kids(b.jwks()));
  const week = 7 * 24 * 3600;
  assert.equal(await a.rotateIfDue(week), undefined, "fresh keys are not rotated");

  // Eight days pass (for the keys).
  await fx.pool.query("UPDATE login_signing_keys SET created_at = created_at - interval '8 days'");
  const before = kids(a.jwks());
  const results = await Promise.all([a.rotateIfDue(week), b.rotateIfDue(week), a.rotateIfDue(week)]);
  const rotated = results.filter((k) => k !== undefined);
  assert.equal(rotated.length, 1, JSON.stringify(results));
  await Promise.all([a.reload(), b.reload()]);
  // The old next key became current; the old current is still published as previous.
  assert.equal(kids(a.jwks())[0], before[1]);
  assert.ok(kids(a.jwks()).includes(before[0]));
  assert.deepEqual(kids(a.jwks()), kids(b.jwks()));
  assert.equal(await b.rotateIfDue(week), undefined, "just rotated: not due again");
});
