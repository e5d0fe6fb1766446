// PostgreSQL going away under a running login service. The shared PostgreSQL is never touched:
// login reaches it through a TCP forwarder this test owns, and the outage is the forwarder
// dropping every connection and refusing new ones.
import assert from "node:assert/strict";
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { connectPostgres } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import type pg from "pg";
import { call, databaseFixture, type Fixture, startLogin } from "./helpers.js";

let fx: Fixture;
before(async () => {
  fx = await databaseFixture();
});
after(() => fx.close());

function forwarder(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = createConnection(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("error", () => {});
          s.on("close", () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    });
  return { open, cut, port: () => port };
}

test("with PostgreSQL unreachable, the API answers 503 with Retry-After (not 500, no crash), then recovers", async () => {
  const target = new URL(fx.database.url);
  const proxy = forwarder(target);
  await proxy.open();
  const via = new URL(fx.database.url);
  via.host = `127.0.0.1:${proxy.port()}`;
  const pool: pg.Pool = await connectPostgres(via.toString(), { max: 4, connectionTimeoutMillis: 1000 });
  const login = await startLogin(pool);
  try {
    const first = await call(login.base, "POST", "/v1/accounts", { name: "Outage", password: "correct horse" });
    assert.equal(first.status, 201);

    await proxy.cut();
    const answers = [
      await call(login.base, "POST", "/v1/accounts", { name: "During", password: "correct horse" }),
      await call(login.base, "POST", "/v1/sessions", { name: "Outage", password: "correct horse" }),
      await call(login.base, "POST", "/v1/sessions/refresh", { refreshToken: first.body.refreshToken }),
    ];
    for (const a of answers) {
      assert.equal(a.status, 503, JSON.stringify(a.body));
      assert.equal(a.body.code, "STARLANE_ERR_UNAVAILABLE");
      assert.equal(a.headers.get("retry-after"), "1");
    }
    // What needs no database still works: the JWKS and token checks.
    assert.equal((await call(login.base, "GET", "/.well-known/jwks.json")).status, 200);
    const enter = await call(login.base, "POST", "/v1/world/enter", undefined, {
      headers: { authorization: `Bearer ${first.body.accessToken}` },
    });
    assert.equal(enter.body.code, "STARLANE_ERR_UNAVAILABLE"); // no world wired in; the token itself was fine

    await proxy.open();
    await waitFor(
      "recovery",
      async () =>
        (await call(login.base, "POST", "/v1/sessions", { name: "Outage", password: "correct horse" })).status === 200,
      10_000,
      100,
    );
  } finally {
    await login.close();
    await pool.end();
    await proxy.cut().catch(() => {});
  }
});
