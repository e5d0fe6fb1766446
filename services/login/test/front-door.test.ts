// The embedded mode puts login on the front door next to the browser client's catch-all routes.
// Login's exact paths must win over those wildcards whatever the order of mounting.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createApp, createLogger, listen, type Listening, loadConfig, mountNotFound, reply } from "@starlane/shared";
import { createTokenVerifier } from "@starlane/shared";
import { type Login, loginConfig, mountLogin } from "../src/index.js";
import { call, databaseFixture, type Fixture, TEST_ENV } from "./helpers.js";

let fx: Fixture;
let login: Login;
let listening: Listening;
let base: string;
before(async () => {
  fx = await databaseFixture();
  const app = createApp();
  // What services/embedded mounts: static files on GET /*, a JSON 404 for the rest, then login.
  app.get("/*", (res) => reply(res).text(200, "<html>client</html>", "text/html"));
  mountNotFound(app);
  login = await mountLogin(
    app,
    { log: createLogger("login", "silent"), db: fx.pool },
    loadConfig(loginConfig, TEST_ENV),
  );
  listening = listen(app, "127.0.0.1", 0);
  base = `http://127.0.0.1:${listening.port}`;
});
after(async () => {
  listening.close();
  await login.close();
  await fx.close();
});

test("login routes answer on a front door that already has catch-all routes", async () => {
  const reg = await call(base, "POST", "/v1/accounts", { name: "Front_Door", password: "correct horse" });
  assert.equal(reg.status, 201);
  assert.equal((await call(base, "GET", "/.well-known/jwks.json")).body.keys.length, 2);
  assert.equal((await call(base, "GET", "/v1/accounts")).status, 405);
  assert.equal((await call(base, "GET", "/index.html")).body, "<html>client</html>");
  assert.equal((await call(base, "POST", "/v1/other")).status, 404);
  // The zone in the same process verifies with the login's keys directly.
  const claims = await createTokenVerifier({ keys: login.verificationKeys }).verify(reg.body.accessToken);
  assert.equal(claims.name, "Front_Door");
});
