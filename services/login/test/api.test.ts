// The login HTTP API end to end against the real PostgreSQL: register, log in, refresh (and its
// reuse), log out, JWKS and rotation, world entry's auth, and every kind of bad input.
import assert from "node:assert/strict";
import { randomBytes, scryptSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createTokenVerifier, StarlaneError, TOKEN_ALGORITHM } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { call, databaseFixture, type Fixture, type Running, startLogin } from "./helpers.js";

let fx: Fixture;
let login: Running;
before(async () => {
  fx = await databaseFixture();
  login = await startLogin(fx.pool);
});
after(async () => {
  await login.close();
  await fx.close();
});

/** World entry stand-ins here answer `enter` only. */
const noMap = async (): Promise<never> => {
  throw new Error("the world map is not used in this test");
};

const post = (path: string, body?: unknown, options?: Parameters<typeof call>[4]) =>
  call(login.base, "POST", path, body, options);
const register = (name: string, password = "correct horse") => post("/v1/accounts", { name, password });
const logIn = (name: string, password = "correct horse") => post("/v1/sessions", { name, password });
const remoteVerifier = () => createTokenVerifier({ keys: new URL(`${login.base}/.well-known/jwks.json`) });

describe("accounts and sessions", () => {
  test("register returns a session whose access token every verifier accepts", async () => {
    const r = await register("Pilot_One");
    assert.equal(r.status, 201);
    assert.equal(r.body.account.name, "Pilot_One");
    assert.equal(r.body.tokenType, "Bearer");
    assert.equal(r.body.expiresIn, 900);
    assert.match(r.body.refreshToken, /^[A-Za-z0-9_-]{43}$/);

    const header = decodeProtectedHeader(r.body.accessToken);
    assert.equal(header.alg, TOKEN_ALGORITHM);
    assert.equal(header.typ, "access");
    assert.ok(header.kid);
    const payload = decodeJwt(r.body.accessToken);
    assert.equal(payload.iss, "starlane-login");
    assert.equal(payload.aud, "starlane");
    assert.equal(payload.sub, r.body.account.id);
    assert.equal(payload.exp! - payload.iat!, 15 * 60);

    const claims = await remoteVerifier().verify(r.body.accessToken);
    assert.equal(claims.sub, r.body.account.id);
    assert.equal(claims.name, "Pilot_One");
    // In-process verification (the embedded zone) sees the same keys without HTTP.
    const local = await createTokenVerifier({ keys: login.server.verificationKeys }).verify(r.body.accessToken);
    assert.equal(local.sub, r.body.account.id);
  });

  test("names are unique ignoring case, and full-width look-alikes fold to the same name", async () => {
    assert.equal((await register("CaseName")).status, 201);
    const again = await register("casename");
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "STARLANE_ERR_NAME_TAKEN");
    const fullWidth = await register("ＣＡＳＥＮＡＭＥ"); // NFKC folds to CASENAME
    assert.equal(fullWidth.body.code, "STARLANE_ERR_NAME_TAKEN");
  });

  test("log in works with any case of the name; wrong password and unknown account look the same", async () => {
    await register("Lander");
    const ok = await logIn("lANDER");
    assert.equal(ok.status, 200);
    assert.equal(ok.body.account.name, "Lander");
    const wrong = await logIn("Lander", "wrong horse");
    const unknown = await logIn("Nobody_Here", "correct horse");
    const malformed = await logIn("no such name!", "correct horse");
    for (const r of [wrong, unknown, malformed]) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, {
        code: "STARLANE_ERR_BAD_CREDENTIALS",
        message: "Wrong account name or password.",
      });
    }
  });

  test("refresh rotates the token; reusing a spent one revokes the whole family", async () => {
    const first = (await register("Refresher")).body;
    const second = (await post("/v1/sessions/refresh", { refreshToken: first.refreshToken })).body;
    assert.ok(second.accessToken);
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal((await remoteVerifier().verify(second.accessToken)).name, "Refresher");
    assert.equal(decodeJwt(second.accessToken).lt, undefined, "a player's refreshed token is no load-test token");

    const third = await post("/v1/sessions/refresh", { refreshToken: second.refreshToken });
    assert.equal(third.status, 200);

    // The first token again: someone copied it. Both it and the live successor die.
    const reuse = await post("/v1/sessions/refresh", { refreshToken: first.refreshToken });
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.code, "STARLANE_ERR_REFRESH_INVALID");
    const live = await post("/v1/sessions/refresh", { refreshToken: third.body.refreshToken });
    assert.equal(live.status, 401);
    assert.equal(live.body.code, "STARLANE_ERR_REFRESH_INVALID");

    // Another session of the same account is untouched.
    const other = (await logIn("Refresher")).body;
    assert.equal((await post("/v1/sessions/refresh", { refreshToken: other.refreshToken })).status, 200);
  });

  test("a scrypt password from before Argon2id logs in and is re-hashed to Argon2id on that log-in", async () => {
    await register("Upgrader");
    const salt = randomBytes(16);
    const key = scryptSync("correct horse", salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const legacy = `scrypt$14$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    await fx.pool.query("UPDATE login_accounts SET password_hash = $1 WHERE name = 'Upgrader'", [legacy]);
    assert.equal((await logIn("Upgrader", "wrong horse")).status, 401);
    assert.equal((await logIn("Upgrader")).status, 200);
    await waitFor("the rehash", async () => {
      const { rows } = await fx.pool.query("SELECT password_hash FROM login_accounts WHERE name = 'Upgrader'");
      return rows[0].password_hash.startsWith("$argon2id$v=19$m=4096,t=1,p=1$");
    });
    assert.equal((await logIn("Upgrader")).status, 200);
    assert.equal((await logIn("Upgrader", "wrong horse")).status, 401);
  });

  test("a password hashed with other Argon2id settings is upgraded at the next log-in", async () => {
    await register("Strengthen");
    const stronger = await startLogin(fx.pool, { STARLANE_LOGIN_ARGON2_TIME_COST: "2" });
    try {
      assert.equal(
        (await call(stronger.base, "POST", "/v1/sessions", { name: "Strengthen", password: "correct horse" })).status,
        200,
      );
      await waitFor("the rehash", async () => {
        const { rows } = await fx.pool.query("SELECT password_hash FROM login_accounts WHERE name = 'Strengthen'");
        return rows[0].password_hash.includes("m=4096,t=2,p=1");
      });
      assert.equal((await logIn("Strengthen")).status, 200);
    } finally {
      await stronger.close();
    }
  });

  test("two uses of one refresh token at once: at most one succeeds, and the family ends", async () => {
    const s = (await register("Racer")).body;
    const both = await Promise.all([
      post("/v1/sessions/refresh", { refreshToken: s.refreshToken }),
      post("/v1/sessions/refresh", { refreshToken: s.refreshToken }),
    ]);
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 401]);
    const winner = both.find((r) => r.status === 200)!;
    assert.equal((await post("/v1/sessions/refresh", { refreshToken: winner.body.refreshToken })).status, 401);
  });

  test("an unknown refresh token is refused", async () => {
    const r = await post("/v1/sessions/refresh", { refreshToken: "A".repeat(43) });
    assert.equal(r.status, 401);
    assert.equal(r.body.code, "STARLANE_ERR_REFRESH_INVALID");
  });

  test("log out ends that session only", async () => {
    await register("Leaver");
    const a = (await logIn("Leaver")).body;
    const b = (await logIn("Leaver")).body;
    const out = await call(login.base, "DELETE", "/v1/sessions", { refreshToken: a.refreshToken });
    assert.equal(out.status, 204);
    assert.equal((await post("/v1/sessions/refresh", { refreshToken: a.refreshToken })).status, 401);
    assert.equal((await post("/v1/sessions/refresh", { refreshToken: b.refreshToken })).status, 200);
    // Logging out twice, or with a token we never issued, is not an error.
    assert.equal((await call(login.base, "DELETE", "/v1/sessions", { refreshToken: a.refreshToken })).status, 204);
  });
});

describe("metrics", () => {
  test("/metrics counts answers by route and code, and refresh-token reuse", async () => {
    const text = (await call(login.base, "GET", "/metrics")).body as string;
    assert.match(text, /starlane_login_answers_total\{route="POST \/v1\/accounts",code="ok",service="login"\} \d+/);
    assert.match(
      text,
      /starlane_login_answers_total\{route="POST \/v1\/sessions",code="STARLANE_ERR_BAD_CREDENTIALS",service="login"\} [1-9]/,
    );
    assert.match(text, /starlane_login_refresh_reuse_total\{service="login"\} [1-9]/);
    assert.match(text, /starlane_login_hashes_waiting\{service="login"\} 0/);
  });
});

describe("JWKS and key rotation", () => {
  test("rotation keeps old tokens valid for one more rotation; keys survive a restart", async () => {
    const before = (await register("Rotator")).body.accessToken as string;
    const oldKid = decodeProtectedHeader(before).kid;
    const jwks1 = await call(login.base, "GET", "/.well-known/jwks.json");
    assert.equal(jwks1.status, 200);
    assert.ok(jwks1.body.keys.some((k: { kid: string }) => k.kid === oldKid));
    for (const k of jwks1.body.keys) {
      assert.equal(k.d, undefined, "the JWKS must never carry a private key");
      assert.equal(k.alg, TOKEN_ALGORITHM);
    }

    // A verifier that cached the key set just before the rotation, and is still inside its refetch
    // cooldown afterwards, must accept tokens signed after the rotation.
    const verifier = remoteVerifier();
    await verifier.verify(before);

    const newKid = await login.server.rotateKeys();
    assert.notEqual(newKid, oldKid);
    // The new signing key was published before it signed anything.
    assert.ok(jwks1.body.keys.some((k: { kid: string }) => k.kid === newKid));
    const jwks2 = (await call(login.base, "GET", "/.well-known/jwks.json")).body;
    const kids2 = jwks2.keys.map((k: { kid: string }) => k.kid);
    assert.equal(kids2.length, 3);
    assert.equal(kids2[0], newKid);
    assert.ok(kids2.includes(oldKid));
    const afterRotation = (await logIn("Rotator")).body.accessToken as string;
    assert.equal(decodeProtectedHeader(afterRotation).kid, newKid);
    assert.equal((await verifier.verify(before)).name, "Rotator");
    assert.equal((await verifier.verify(afterRotation)).name, "Rotator");

    // A second login instance on the same database (or this one restarted) serves the same keys.
    const twin = await startLogin(fx.pool);
    try {
      const twinJwks = (await call(twin.base, "GET", "/.well-known/jwks.json")).body;
      assert.deepEqual(twinJwks, jwks2);
      assert.equal((await createTokenVerifier({ keys: twin.server.verificationKeys }).verify(before)).name, "Rotator");
    } finally {
      await twin.close();
    }

    // Two rotations on, the first key is gone and its tokens with it.
    await login.server.rotateKeys();
    await assert.rejects(createTokenVerifier({ keys: login.server.jwks() }).verify(before), {
      code: "STARLANE_ERR_UNAUTHORIZED",
    });
    assert.equal((await createTokenVerifier({ keys: login.server.jwks() }).verify(afterRotation)).name, "Rotator");
  });
});

describe("world entry", () => {
  test("without a token, or with a bad one, the answer is 401", async () => {
    const none = await post("/v1/world/enter");
    assert.equal(none.status, 401);
    assert.equal(none.body.code, "STARLANE_ERR_UNAUTHORIZED");
    const garbage = await post("/v1/world/enter", undefined, { headers: { authorization: "Bearer not.a.token" } });
    assert.equal(garbage.status, 401);
    const basic = await post("/v1/world/enter", undefined, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    assert.equal(basic.status, 401);
    // A refresh token is not an access token.
    const s = (await register("Enterer")).body;
    const wrongKind = await post("/v1/world/enter", undefined, {
      headers: { authorization: `Bearer ${s.refreshToken}` },
    });
    assert.equal(wrongKind.status, 401);
  });

  test("with a valid token but no world wired in, it is 503 UNAVAILABLE rather than a crash", async () => {
    const s = (await logIn("Enterer")).body;
    const r = await post("/v1/world/enter", undefined, { headers: { authorization: `Bearer ${s.accessToken}` } });
    assert.equal(r.status, 503);
    assert.equal(r.body.code, "STARLANE_ERR_UNAVAILABLE");
  });
});

describe("world entry failures", () => {
  after(() => login.server.setWorldEntry(undefined));
  const enter = async () => {
    const s = (await logIn("Enterer")).body;
    return post("/v1/world/enter", undefined, { headers: { authorization: `Bearer ${s.accessToken}` } });
  };

  test("a refusal from the world is passed on with its code, for the verified player", async () => {
    const seen: string[] = [];
    login.server.setWorldEntry({
      map: noMap,
      enter: async (claims) => {
        seen.push(claims.name);
        throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE");
      },
    });
    const r = await enter();
    assert.equal(r.status, 503);
    assert.equal(r.body.code, "STARLANE_ERR_REGION_UNAVAILABLE");
    assert.equal(r.headers.get("retry-after"), "1", "while a region is restored, clients are told when to retry");
    assert.deepEqual(seen, ["Enterer"]);
  });

  test("a seat that cannot be serialised is a 500, not a crash", async () => {
    login.server.setWorldEntry({
      map: noMap,
      enter: async () => ({ roomId: "r1", reservation: { n: 1n }, address: "ws://x" }),
    });
    const r = await enter();
    assert.equal(r.status, 500);
    assert.equal(r.body.code, "STARLANE_ERR_INTERNAL");
  });

  test("an unexpected failure is a 500 that does not leak its cause", async () => {
    login.server.setWorldEntry({
      map: noMap,
      enter: async () => {
        throw new Error("redis exploded at 10.0.0.7");
      },
    });
    const r = await enter();
    assert.equal(r.status, 500);
    assert.equal(r.body.code, "STARLANE_ERR_INTERNAL");
    assert.doesNotMatch(JSON.stringify(r.body), /exploded|10\.0\.0\.7/);
  });
});

describe("bad input gets a 4xx with a stable code, and the server keeps serving", () => {
  test("malformed JSON, wrong content type, oversized bodies, non-object bodies", async () => {
    const bad = await post("/v1/sessions", undefined, {
      raw: '{"name": "x", ',
      headers: { "content-type": "application/json" },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "STARLANE_ERR_BAD_JSON");

    const form = await post("/v1/accounts", undefined, {
      raw: "name=x&password=y",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.status, 415);
    assert.equal(form.body.code, "STARLANE_ERR_UNSUPPORTED_MEDIA_TYPE");

    const none = await post("/v1/accounts", undefined, { raw: '{"name":"abc","password":"12345678"}' });
    assert.equal(none.status, 415);

    const huge = await register("Big_One", "x".repeat(17 * 1024));
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, "STARLANE_ERR_BODY_TOO_LARGE");

    for (const body of [[], "just a string", null, 42]) {
      const r = await post("/v1/sessions", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.code, "STARLANE_ERR_VALIDATION");
    }
  });

  test("missing or mistyped fields name the field", async () => {
    const cases: [string, unknown, string][] = [
      ["/v1/accounts", { password: "correct horse" }, "name"],
      ["/v1/accounts", { name: "Valid_Name" }, "password"],
      ["/v1/accounts", { name: 12345, password: "correct horse" }, "name"],
      ["/v1/sessions", { name: "Valid_Name" }, "password"],
      ["/v1/sessions", { password: "x" }, "name"],
      ["/v1/sessions/refresh", {}, "refreshToken"],
      ["/v1/sessions/refresh", { refreshToken: 7 }, "refreshToken"],
    ];
    for (const [path, body, field] of cases) {
      const r = await post(path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(r.body.code, "STARLANE_ERR_VALIDATION");
      assert.equal(r.body.field, field);
    }
    const noLogoutToken = await call(login.base, "DELETE", "/v1/sessions", {});
    assert.equal(noLogoutToken.body.code, "STARLANE_ERR_VALIDATION");
  });

  test("names: length, characters, SQL-ish strings and unicode tricks are refused", async () => {
    const names = [
      "ab",
      "a".repeat(21),
      "has space",
      "dash-name",
      "x'; DROP TABLE login_accounts; --",
      "' OR '1'='1",
      "Robert');--",
      "pіlot", // Cyrillic і
      "pilot\u200b", // zero-width space
      "\u202epilot", // right-to-left override
      "pilot\u0000",
      "pilote\u0301", // combining accent
      "🚀rocket",
      "",
    ];
    for (const name of names) {
      const r = await register(name);
      assert.equal(r.status, 400, JSON.stringify(name));
      assert.equal(r.body.code, "STARLANE_ERR_BAD_NAME", JSON.stringify(name));
    }
    const weak = await register("Fine_Name", "short");
    assert.equal(weak.body.code, "STARLANE_ERR_WEAK_PASSWORD");
    // SQL in a password is just a password.
    const sqlPassword = "'; DELETE FROM login_accounts; --";
    assert.equal((await register("Sql_Pass", sqlPassword)).status, 201);
    assert.equal((await logIn("Sql_Pass", sqlPassword)).status, 200);
    const { rows } = await fx.pool.query("SELECT count(*)::int AS n FROM login_accounts");
    assert.ok(rows[0].n >= 1);
  });

  test("wrong methods get 405, unknown paths 404, and the server still answers afterwards", async () => {
    const get = await call(login.base, "GET", "/v1/accounts");
    assert.equal(get.status, 405);
    assert.equal(get.body.code, "STARLANE_ERR_METHOD_NOT_ALLOWED");
    const put = await call(login.base, "PUT", "/v1/world/enter");
    assert.equal(put.status, 405);
    const missing = await call(login.base, "GET", "/v1/nothing");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, "STARLANE_ERR_NOT_FOUND");
    assert.equal((await call(login.base, "GET", "/healthz")).status, 200);
  });
});
