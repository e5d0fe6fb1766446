// The cluster mode, as operators run it: login, persistence and a zone as three processes sharing
// the real Redis and PostgreSQL. A player registers, enters the world through login, plays in the
// zone login chose, leaves; the ship reaches PostgreSQL through the Redis Stream.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@colyseus/sdk";
import { connectPostgres } from "@starlane/shared";
import { attachRegion, regionView } from "@starlane/shared/client";
import {
  createTestDatabase,
  startService,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
  waitFor,
} from "@starlane/shared/testing";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];
/** Starts a service's main.ts and resolves its ready log line. */
const start = async (service: string, env: Record<string, string>, ready: string) => {
  const p = await startService(ROOT, service, env, ready);
  children.push(p.child);
  return p.ready;
};
let tdb: TestDatabase;
let loginUrl = "";

before(async () => {
  tdb = await createTestDatabase();
  const common = {
    DATABASE_URL: tdb.url,
    REDIS_URL: TEST_REDIS_URL,
    STARLANE_KEY_PREFIX: testRedisPrefix(),
    STARLANE_LOG_LEVEL: "info",
  };
  const login = await start(
    "login",
    {
      ...common,
      STARLANE_LOGIN_PORT: "0",
      STARLANE_LOGIN_ARGON2_MEMORY_KIB: "4096",
      STARLANE_OPERATOR_TOKEN: randomBytes(32).toString("hex"),
      STARLANE_LOGIN_KEY_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    },
    "login is up",
  );
  loginUrl = `http://127.0.0.1:${login.port}`;
  await start("persistence", { ...common, STARLANE_PERSISTENCE_PORT: "0" }, "persistence listening");
  await start(
    "zone",
    { ...common, STARLANE_ZONE_PORT: "0", STARLANE_JWKS_URL: `${loginUrl}/.well-known/jwks.json` },
    "zone listening",
  );
});

after(async () => {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on("exit", r)))));
  await tdb.drop();
});

const post = async (path: string, body: unknown, token?: string) => {
  const res = await fetch(`${loginUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

test("register, enter the world, fly, leave: the ship is in PostgreSQL, written through the stream", async () => {
  const reg = await post("/v1/accounts", { name: "Cluster_1", password: "correct horse battery" });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const enter = await post("/v1/world/enter", {}, reg.body.accessToken);
  assert.equal(enter.status, 200, JSON.stringify(enter.body));
  const room = await new Client(`http://${enter.body.address}`).consumeSeatReservation(enter.body.reservation);
  attachRegion(room);
  const me = () => regionView(room)?.ships.get(reg.body.account.id);
  const x0 = (await waitFor("own ship", me)).x;
  for (let seq = 1; seq <= 5; seq++) room.send("input", { seq, thrust: 1, turn: 0, fire: false });
  await waitFor("inputs applied", () => me()?.ack === 5 && me()!.x !== x0);
  await room.leave();

  const db = await connectPostgres(tdb.url, { max: 1 });
  try {
    const row = await waitFor(
      "ship written by persistence",
      async () => {
        const { rows } = await db.query("SELECT x, region, version, epoch FROM characters WHERE player_id = $1", [
          reg.body.account.id,
        ]);
        return rows[0] && Number(rows[0].version) > 0 ? rows[0] : undefined;
      },
      10_000,
    );
    assert.notEqual(row.x, x0, "the saved position is where the ship flew, not the spawn");
    assert.equal(row.region, enter.body.roomId);
    assert.ok(Number(row.epoch) >= 1, "written under the zone's ownership epoch");
  } finally {
    await db.end();
  }
});
