// The operator routes end to end against the real PostgreSQL: one credential, one answer for every
// refusal, refusals limited per IP, key rotation, and bulk provisioning of load-test accounts that
// the per-IP registration limit does not touch while players stay limited exactly as before.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTokenVerifier } from "@starlane/shared";
import { decodeJwt, decodeProtectedHeader } from "jose";
import {
  type Answer,
  call,
  databaseFixture,
  type Fixture,
  OPERATOR_TOKEN,
  type Running,
  startLogin,
} from "./helpers.js";

let fx: Fixture;
let login: Running;
let now = 60_000 * 50_000_000; // on a window boundary
before(async () => {
  fx = await databaseFixture();
  login = await startLogin(
    fx.pool,
    {
      STARLANE_LOGIN_RATE_REGISTER_PER_IP: "2",
      STARLANE_LOGIN_RATE_OPERATOR_REFUSED_PER_IP: "3",
      // Tests speak for several clients through X-Forwarded-For.
      STARLANE_LOGIN_TRUSTED_PROXY_HOPS: "1",
    },
    { clock: () => now },
  );
});
after(async () => {
  await login.close();
  await fx.close();
});

const BEARER = { authorization: `Bearer ${OPERATOR_TOKEN}` };
let nextIp = 1;
/** A client of its own, so one test's refusals never count against another's. */
const freshIp = () => `192.0.2.${nextIp++}`;
const post = (path: string, body: unknown, headers: Record<string, string>, ip = "198.51.100.1") =>
  call(login.base, "POST", path, body, { headers: { "x-forwarded-for": ip, ...headers } });
const provision = (body: unknown, ip?: string) => post("/v1/operator/accounts", body, BEARER, ip);
const jwks = async () =>
  (await call(login.base, "GET", "/.well-known/jwks.json")).body.keys.map((k: { kid: string }) => k.kid) as string[];

const UNAUTHORIZED = {
  code: "STARLANE_ERR_OPERATOR_UNAUTHORIZED",
  message: "The operator credential is missing or wrong.",
};

describe("the operator credential", () => {
  test("missing, malformed and wrong credentials all get the same 401, on every operator route", async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: "" },
      { authorization: "Bearer" },
      { authorization: `Basic ${Buffer.from(`op:${OPERATOR_TOKEN}`).toString("base64")}` },
      { authorization: OPERATOR_TOKEN },
      { authorization: `Bearer ${OPERATOR_TOKEN.slice(0, -1)}x` },
      { authorization: `Bearer ${OPERATOR_TOKEN}x` },
      { authorization: `Bearer ${OPERATOR_TOKEN.slice(0, 8)}` },
    ];
    const answers: Answer[] = [];
    for (const headers of wrong) {
      answers.push(await post("/v1/operator/keys/rotate", undefined, headers, freshIp()));
      answers.push(await post("/v1/operator/accounts", { count: 1 }, headers, freshIp()));
    }
    // Not even a body fault shows through: bad JSON and oversized bodies are refused the same way.
    answers.push(
      await call(login.base, "POST", "/v1/operator/accounts", undefined, {
        raw: "{nope",
        headers: { "content-type": "application/json", "x-forwarded-for": freshIp() },
      }),
    );
    for (const a of answers) {
      assert.equal(a.status, 401);
      assert.deepEqual(a.body, UNAUTHORIZED);
      assert.equal(a.headers.get("retry-after"), null);
    }
  });

  test("rotating through the route changes the JWKS and the key new tokens are signed with", async () => {
    const before = await jwks();
    const refused = await post("/v1/operator/keys/rotate", undefined, { authorization: "Bearer nope" }, freshIp());
    assert.equal(refused.status, 401);
    assert.deepEqual(await jwks(), before, "a refused rotation changes nothing");

    const r = await post("/v1/operator/keys/rotate", undefined, BEARER, freshIp());
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.kid, "string");
    const after = await jwks();
    assert.notDeepEqual(after, before);
    assert.ok(after.includes(r.body.kid));
    assert.ok(
      after.some((kid) => !before.includes(kid)),
      "a new next key is published",
    );
    const session = (await provision({ names: ["Rotated_Bot"] }, freshIp())).body.accounts[0];
    assert.equal(decodeProtectedHeader(session.accessToken).kid, r.body.kid);
  });

  test("refusals are limited per IP: past the limit even the right credential is 429 until the window ends", async () => {
    now += 60_000;
    const ip = freshIp();
    const guess = () => post("/v1/operator/keys/rotate", undefined, { authorization: "Bearer guess" }, ip);
    for (let i = 0; i < 3; i++) assert.equal((await guess()).status, 401);
    now += 15_000;
    const limited = await guess();
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "STARLANE_ERR_RATE_LIMITED");
    assert.equal(limited.headers.get("retry-after"), "45");
    // The right token from that IP is not even looked at: a guess past the limit learns nothing.
    const right = await post("/v1/operator/keys/rotate", undefined, BEARER, ip);
    assert.equal(right.status, 429);
    // Other clients are not affected, and successes never count.
    const other = freshIp();
    for (let i = 0; i < 5; i++) assert.equal((await provision({ names: ["Limit_Bot"] }, other)).status, 200);
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await post("/v1/operator/keys/rotate", undefined, { authorization: "Bearer guess" }, other)).status,
        401,
      );
    }
    now += 45_000;
    assert.equal((await post("/v1/operator/keys/rotate", undefined, BEARER, ip)).status, 200);
  });
});

describe("provisioning load-test accounts", () => {
  test("many accounts at once, untouched by the per-IP registration limit that still stops players", async () => {
    now += 60_000;
    const ip = "203.0.113.7";
    const register = (name: string) => post("/v1/accounts", { name, password: "correct horse" }, {}, ip);
    assert.equal((await register("Player_One")).status, 201);
    assert.equal((await register("Player_Two")).status, 201);
    assert.equal((await register("Player_Three")).status, 429);

    const r = await provision({ count: 30, prefix: "lt" }, ip);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.tokenType, "Bearer");
    assert.equal(r.body.expiresIn, 900);
    assert.deepEqual(r.body.taken, []);
    assert.deepEqual(
      r.body.accounts.map((a: { name: string }) => a.name),
      Array.from({ length: 30 }, (_, i) => `lt_${i}`),
    );
    assert.ok(r.body.accounts.every((a: { created: boolean }) => a.created));

    // Players from that IP are still limited exactly as before.
    const still = await register("Player_Four");
    assert.equal(still.status, 429);
    assert.equal(still.body.code, "STARLANE_ERR_RATE_LIMITED");
  });

  test("provisioned accounts get ordinary tokens, refresh like anyone, and cannot log in with a password", async () => {
    const r = await provision({ names: ["Token_Bot", "token_bot_2"] }, freshIp());
    assert.equal(r.status, 200);
    const [a, b] = r.body.accounts;
    assert.match(a.refreshToken, /^[A-Za-z0-9_-]{43}$/);
    const claims = await createTokenVerifier({ keys: new URL(`${login.base}/.well-known/jwks.json`) }).verify(
      a.accessToken,
    );
    assert.equal(claims.sub, a.accountId);
    assert.equal(claims.name, "Token_Bot");
    // Marked as load test, so connection edges (chat) let a fleet from one address past their caps.
    assert.equal(claims.lt, true);

    const refreshed = await post("/v1/sessions/refresh", { refreshToken: b.refreshToken }, {});
    assert.equal(refreshed.status, 200);
    assert.deepEqual(refreshed.body.account, { id: b.accountId, name: "token_bot_2" });
    assert.equal(decodeJwt(refreshed.body.accessToken).lt, true, "a refreshed load-test token keeps its mark");

    for (const password of ["", "correct horse", "x".repeat(200)]) {
      const logIn = await post("/v1/sessions", { name: "Token_Bot", password }, {}, freshIp());
      assert.equal(logIn.status, 401);
      assert.equal(logIn.body.code, "STARLANE_ERR_BAD_CREDENTIALS");
    }
    // Nor can a player take the name.
    const taken = await post("/v1/accounts", { name: "token_BOT", password: "correct horse" }, {}, freshIp());
    assert.equal(taken.body.code, "STARLANE_ERR_NAME_TAKEN");

    const { rows } = await fx.pool.query(
      "SELECT name, loadtest, password_hash FROM login_accounts WHERE lower(name) IN ('token_bot', 'token_bot_2') ORDER BY name",
    );
    assert.deepEqual(rows, [
      { name: "Token_Bot", loadtest: true, password_hash: null },
      { name: "token_bot_2", loadtest: true, password_hash: null },
    ]);
  });

  test("asking again reuses the accounts with new sessions; real players' names are reported, never issued", async () => {
    const first = (await provision({ names: ["Again_0", "Again_1"] }, freshIp())).body.accounts;
    assert.equal(
      (await post("/v1/accounts", { name: "Real_Pilot", password: "correct horse" }, {}, freshIp())).status,
      201,
    );
    const r = await provision({ names: ["again_1", "Real_Pilot", "Again_0", "Again_2"] }, freshIp());
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.taken, ["Real_Pilot"]);
    const byName = Object.fromEntries(r.body.accounts.map((a: { name: string }) => [a.name, a]));
    assert.deepEqual(Object.keys(byName), ["Again_1", "Again_0", "Again_2"]);
    assert.equal(byName.Again_0.accountId, first[0].accountId);
    assert.equal(byName.Again_1.accountId, first[1].accountId);
    assert.equal(byName.Again_0.created, false);
    assert.equal(byName.Again_2.created, true);
    assert.notEqual(byName.Again_0.refreshToken, first[0].refreshToken);
    // The earlier session is still valid: provisioning adds a session, it does not end one.
    assert.equal((await post("/v1/sessions/refresh", { refreshToken: first[0].refreshToken }, {})).status, 200);
    const { rows } = await fx.pool.query("SELECT loadtest FROM login_accounts WHERE name = 'Real_Pilot'");
    assert.equal(rows[0].loadtest, false);
  });

  test("1000 accounts in one request; more is refused with its own code, as are malformed requests", async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `max_batch_name_${String(i).padStart(5, "0")}`);
    const full = await provision({ names }, freshIp());
    assert.equal(full.status, 200, JSON.stringify(full.body).slice(0, 300));
    assert.equal(full.body.accounts.length, 1000);

    for (const [body, field] of [
      [{ count: 1001 }, "count"],
      [{ names: [...names, "one_more"] }, "names"],
    ] as const) {
      const r = await provision(body, freshIp());
      assert.equal(r.status, 413);
      assert.deepEqual(r.body, {
        code: "STARLANE_ERR_OPERATOR_BATCH_TOO_LARGE",
        message: "Too many accounts in one request; split it.",
        field,
      });
    }
    const bad: [unknown, string, string][] = [
      [{}, "STARLANE_ERR_VALIDATION", "count"],
      [{ count: 2, names: ["a_bot"] }, "STARLANE_ERR_VALIDATION", "names"],
      [{ count: 0 }, "STARLANE_ERR_VALIDATION", "count"],
      [{ count: 1.5 }, "STARLANE_ERR_VALIDATION", "count"],
      [{ count: 2, first: -1 }, "STARLANE_ERR_VALIDATION", "first"],
      [{ count: 2, prefix: "has space" }, "STARLANE_ERR_BAD_NAME", "prefix"],
      [{ count: 2, prefix: "a_prefix_too_long_for" }, "STARLANE_ERR_BAD_NAME", "prefix"],
      [{ names: [] }, "STARLANE_ERR_VALIDATION", "names"],
      [{ names: ["ok_name", "x"] }, "STARLANE_ERR_BAD_NAME", "names"],
      [{ names: ["Twice_Bot", "twice_bot"] }, "STARLANE_ERR_VALIDATION", "names"],
    ];
    for (const [body, code, field] of bad) {
      const r = await provision(body, freshIp());
      assert.equal(r.body.code, code, JSON.stringify(body));
      assert.equal(r.body.field, field, JSON.stringify(body));
    }
    const { rows } = await fx.pool.query("SELECT count(*)::int AS n FROM login_accounts WHERE name ILIKE 'twice_bot'");
    assert.equal(rows[0].n, 0, "a refused request creates nothing");
  });
});
