// The refresh-token store directly, for what the HTTP API cannot reach in a test's time: expiry
// and the purge of dead sessions.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { loadMigrations, migrate } from "@starlane/shared";
import { fileURLToPath } from "node:url";
import { createAccountStore } from "../src/accounts.js";
import { createRefreshTokens } from "../src/refresh.js";
import { databaseFixture, type Fixture } from "./helpers.js";

let fx: Fixture;
before(async () => {
  fx = await databaseFixture();
  await migrate(fx.pool, "login", loadMigrations(fileURLToPath(new URL("../migrations", import.meta.url))));
});
after(() => fx.close());

test("an expired refresh token is refused, and dead sessions are purged while live ones stay", async () => {
  const account = await createAccountStore(fx.pool).create("Expiring", "scrypt$14$8$1$AAAA$AAAA");
  const expired = createRefreshTokens(fx.pool, 0);
  const live = createRefreshTokens(fx.pool, 3600);
  const dead = await expired.issue(account.id);
  const alive = await live.issue(account.id);
  await assert.rejects(expired.rotate(dead), { code: "STARLANE_ERR_REFRESH_INVALID" });

  assert.equal(await live.purgeExpired(), 1);
  const { rows } = await fx.pool.query("SELECT count(*)::int AS n FROM login_refresh_families");
  assert.equal(rows[0].n, 1);
  const next = await live.rotate(alive);
  assert.equal(next.account.name, "Expiring");
  assert.equal(await live.purgeExpired(), 0);
});

test("reuse is reported once with the family and account, for the alarm", async () => {
  const account = await createAccountStore(fx.pool).create("Reused", "scrypt$14$8$1$AAAA$AAAA");
  const reports: [string, string][] = [];
  const store = createRefreshTokens(fx.pool, 3600, (family, accountId) => reports.push([family, accountId]));
  const first = await store.issue(account.id);
  await store.rotate(first);
  await assert.rejects(store.rotate(first), { code: "STARLANE_ERR_REFRESH_INVALID" });
  await assert.rejects(store.rotate(first), { code: "STARLANE_ERR_REFRESH_INVALID" });
  assert.equal(reports.length, 1);
  assert.equal(reports[0]![1], account.id);
});
