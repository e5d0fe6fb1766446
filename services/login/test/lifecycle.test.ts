// The account lifecycle through the real HTTP API and PostgreSQL: change password (ends every other
// session), log out everywhere, operator ban and unban (log-in and world entry refused, live
// connections told through account events), and the audit log of operator actions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type AccountEvent, LocalAccountEvents } from "@starlane/shared";
import { call, databaseFixture, type Fixture, OPERATOR_TOKEN, type Running, startLogin } from "./helpers.js";

let fx: Fixture;
let login: Running;
const events = new LocalAccountEvents();
const published: AccountEvent[] = [];
const entered: string[] = [];
before(async () => {
  fx = await databaseFixture();
  await events.follow((e) => published.push(e));
  login = await startLogin(
    fx.pool,
    {},
    {
      accountEvents: events,
      worldEntry: {
        map: async () => {
          throw new Error("the world map is not used in this test");
        },
        enter: async (claims) => {
          entered.push(claims.sub);
          return { roomId: "region-0-0", reservation: {}, address: "127.0.0.1:1" };
        },
      },
    },
  );
});
after(async () => {
  await login.close();
  await fx.close();
});

const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
  call(login.base, "POST", path, body, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const register = async (name: string, password = "correct horse") => {
  const r = await post("/v1/accounts", { name, password });
  assert.equal(r.status, 201);
  return r.body;
};
const logIn = (name: string, password = "correct horse") => post("/v1/sessions", { name, password });
const refresh = (refreshToken: string) => post("/v1/sessions/refresh", { refreshToken });
const enter = (accessToken: string) => post("/v1/world/enter", undefined, bearer(accessToken));
const operator = (path: string, body: unknown, actor = "alice-ops") =>
  post(path, body, { ...bearer(OPERATOR_TOKEN), "x-starlane-operator": actor });
/** Waits past the second a token was issued in: `iat` has one-second resolution. */
const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));

describe("change password", () => {
  test("needs the current password; refuses a weak new one; changes nothing when refused", async () => {
    const s = await register("Changer_A");
    const wrong = await post(
      "/v1/account/password",
      { password: "wrong horse", newPassword: "battery staple" },
      bearer(s.accessToken),
    );
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, "STARLANE_ERR_BAD_CREDENTIALS");
    const weak = await post(
      "/v1/account/password",
      { password: "correct horse", newPassword: "short" },
      bearer(s.accessToken),
    );
    assert.equal(weak.status, 400);
    assert.equal(weak.body.code, "STARLANE_ERR_WEAK_PASSWORD");
    assert.equal(weak.body.field, "newPassword");
    const anonymous = await post("/v1/account/password", { password: "correct horse", newPassword: "battery staple" });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, "STARLANE_ERR_UNAUTHORIZED");
    assert.equal((await logIn("Changer_A")).status, 200, "the old password still works");
    assert.equal((await refresh(s.refreshToken)).status, 200, "and the session lives on");
  });

  test("ends every other session; the changer gets a fresh one; only the new password logs in", async () => {
    const first = await register("Changer_B");
    const second = (await logIn("Changer_B")).body;
    await nextSecond();
    published.length = 0;
    const changed = await post(
      "/v1/account/password",
      { password: "correct horse", newPassword: "battery staple" },
      bearer(first.accessToken),
    );
    assert.equal(changed.status, 200);
    assert.equal(changed.body.account.id, first.account.id);
    for (const old of [first.refreshToken, second.refreshToken]) {
      const r = await refresh(old);
      assert.equal(r.status, 401);
      assert.equal(r.body.code, "STARLANE_ERR_REFRESH_INVALID");
    }
    const stale = await enter(second.accessToken);
    assert.equal(stale.status, 401);
    assert.equal(stale.body.code, "STARLANE_ERR_SESSIONS_REVOKED");
    assert.equal((await enter(changed.body.accessToken)).status, 200);
    assert.equal((await refresh(changed.body.refreshToken)).status, 200);
    assert.deepEqual(published, [{ kind: "sessions-revoked", account: first.account.id }]);
    assert.equal((await logIn("Changer_B")).status, 401);
    assert.equal((await logIn("Changer_B", "battery staple")).status, 200);
  });
});

test("log out everywhere: every session ends, old access tokens no longer enter the world, live connections are told", async () => {
  const a = await register("Everywhere");
  const b = (await logIn("Everywhere")).body;
  assert.equal((await enter(a.accessToken)).status, 200);
  await nextSecond();
  published.length = 0;
  const out = await call(login.base, "DELETE", "/v1/account/sessions", undefined, { headers: bearer(b.accessToken) });
  assert.equal(out.status, 204);
  for (const s of [a, b]) {
    assert.equal((await refresh(s.refreshToken)).status, 401);
    const r = await enter(s.accessToken);
    assert.equal(r.status, 401);
    assert.equal(r.body.code, "STARLANE_ERR_SESSIONS_REVOKED");
  }
  assert.deepEqual(published, [{ kind: "sessions-revoked", account: a.account.id }]);
  const again = (await logIn("Everywhere")).body;
  assert.equal((await enter(again.accessToken)).status, 200, "a new log-in is a new session");
  const anonymous = await call(login.base, "DELETE", "/v1/account/sessions");
  assert.equal(anonymous.status, 401);
});

describe("ban and unban", () => {
  test("only with the operator credential; an unknown account is a 404 naming the field", async () => {
    await register("Target_0");
    const refused = await post(
      "/v1/operator/accounts/ban",
      { name: "Target_0" },
      bearer("not-the-operator-token-at-all-00000"),
    );
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, "STARLANE_ERR_OPERATOR_UNAUTHORIZED");
    assert.equal((await logIn("Target_0")).status, 200, "nothing was banned");
    const unknown = await operator("/v1/operator/accounts/ban", { name: "Nobody_Here" });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "STARLANE_ERR_OPERATOR_UNKNOWN_ACCOUNT");
    assert.equal(unknown.body.field, "name");
    const badReason = await operator("/v1/operator/accounts/ban", { name: "Target_0", reason: 5 });
    assert.equal(badReason.status, 400);
    assert.equal(badReason.body.field, "reason");
  });

  test("a ban refuses log-in and world entry, ends the sessions and closes live connections; unban lets back in", async () => {
    const s = await register("Target_1");
    published.length = 0;
    entered.length = 0;
    const banned = await operator("/v1/operator/accounts/ban", { name: "target_1", reason: "speed hacking" });
    assert.equal(banned.status, 200);
    assert.deepEqual(banned.body, { account: s.account, banned: true, reason: "speed hacking" });
    assert.deepEqual(published, [{ kind: "banned", account: s.account.id }]);

    const right = await logIn("Target_1");
    assert.equal(right.status, 403);
    assert.equal(right.body.code, "STARLANE_ERR_ACCOUNT_BANNED");
    // A guesser learns nothing: the wrong password is a wrong password.
    assert.equal((await logIn("Target_1", "wrong horse")).body.code, "STARLANE_ERR_BAD_CREDENTIALS");
    assert.equal((await refresh(s.refreshToken)).status, 401);
    const entry = await enter(s.accessToken);
    assert.equal(entry.status, 403);
    assert.equal(entry.body.code, "STARLANE_ERR_ACCOUNT_BANNED");
    assert.deepEqual(entered, [], "world entry never reached for a banned player");
    const change = await post(
      "/v1/account/password",
      { password: "correct horse", newPassword: "battery staple" },
      bearer(s.accessToken),
    );
    assert.equal(change.body.code, "STARLANE_ERR_ACCOUNT_BANNED");

    const unbanned = await operator("/v1/operator/accounts/unban", { name: "Target_1" });
    assert.equal(unbanned.status, 200);
    assert.deepEqual(unbanned.body, { account: s.account, banned: false });
    const back = await logIn("Target_1");
    assert.equal(back.status, 200);
    assert.equal((await enter(back.body.accessToken)).status, 200);
  });

  test("every operator action is in the audit log: who, what, on what, when; newest first", async () => {
    const before = Date.now() - 1000;
    await register("Target_2");
    assert.equal(
      (await operator("/v1/operator/accounts/ban", { name: "Target_2", reason: "spam" }, "bob")).status,
      200,
    );
    assert.equal((await operator("/v1/operator/accounts/unban", { name: "Target_2" }, "carol")).status, 200);
    assert.equal((await operator("/v1/operator/keys/rotate", undefined, "d".repeat(80))).status, 200);
    const refused = await call(login.base, "GET", "/v1/operator/audit");
    assert.equal(refused.status, 401);
    const audit = await call(login.base, "GET", "/v1/operator/audit", undefined, { headers: bearer(OPERATOR_TOKEN) });
    assert.equal(audit.status, 200);
    const [rotate, unban, ban] = audit.body.entries;
    const target = (await logIn("Target_2")).body.account.id;
    assert.equal(rotate.action, "keys.rotate");
    assert.equal(rotate.actor, "unnamed", "a name past 64 characters is not recorded as given");
    assert.deepEqual(
      { actor: unban.actor, action: unban.action, target: unban.target, name: unban.detail.name },
      { actor: "carol", action: "account.unban", target, name: "Target_2" },
    );
    assert.deepEqual(
      { actor: ban.actor, action: ban.action, target: ban.target, reason: ban.detail.reason },
      { actor: "bob", action: "account.ban", target, reason: "spam" },
    );
    for (const e of [rotate, unban, ban]) {
      assert.ok(Date.parse(e.at) >= before && Date.parse(e.at) <= Date.now() + 1000, e.at);
      assert.equal(e.ip, "127.0.0.1");
    }
    assert.ok(ban.id < unban.id && unban.id < rotate.id);
    const { rows } = await fx.pool.query(
      "SELECT count(*)::int AS n FROM login_operator_audit WHERE action = 'account.ban'",
    );
    assert.ok(rows[0].n >= 2, "stored in PostgreSQL");
  });
});
