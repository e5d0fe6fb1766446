// The connection edge on the zone's WebSocket upgrades (shared/src/edge.ts, as chat has it): a
// browser page from another origin is refused at the upgrade (HTTP 403), too many upgrades per
// second from one address too (HTTP 429), and a seat over the per-address connection cap is closed
// with 4111 once its token is known; load-test accounts (`lt`) are exempt. A real room, real tokens.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { Client } from "@colyseus/sdk";
import { CloseCode, createConnectionEdge, LocalRegionDirectory, ShipLink } from "@starlane/shared";
import { attachRegion, regionView } from "@starlane/shared/client";
import { waitFor } from "@starlane/shared/testing";
import { metric, REGION, startZone, type Zone } from "./harness.js";

let now = 1_000_000;
const edge = createConnectionEdge({
  allowedOrigins: ["http://localhost:8080", "https://play.example"],
  maxConnectionsPerIp: 2,
  upgradesPerIpPerS: 4,
  now: () => now,
});
let zone: Zone;
before(async () => {
  zone = await startZone({ STARLANE_ZONE_REGIONS: "1-1,2-1" }, new LocalRegionDirectory(), undefined, undefined, {
    edge,
  });
});
after(() => zone.close());

/** A bare WebSocket upgrade at the zone: resolves its HTTP status (101 when upgraded) and body. */
function upgrade(origin?: string): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port: zone.port,
      path: `/whatever/${REGION}?sessionId=none`,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...(origin ? { origin } : {}),
      },
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers["retry-after"] as string }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Joins with the real SDK; resolves how the join ended: "joined" or the close code. */
async function tryJoin(id: string, lt = false): Promise<{ outcome: "joined" | number; leave(): Promise<void> }> {
  const client = new Client(zone.url);
  client.auth.token = await zone.tokens.sign({ sub: id, name: id, lt });
  try {
    const room = await client.joinById(REGION, {});
    room.reconnection.maxRetries = 0;
    const closed = new Promise<number>((r) => room.onLeave((code) => r(code)));
    attachRegion(room, { self: id });
    const first = await Promise.race([
      waitFor("the first state", () => regionView(room)?.ships.has(id)).then(() => "joined" as const),
      closed,
    ]);
    return {
      outcome: first,
      leave: async () => {
        await Promise.race([room.leave(true).catch(() => {}), closed]);
      },
    };
  } catch (err) {
    const code = (err as { code?: number }).code;
    return { outcome: typeof code === "number" ? code : -1, leave: async () => {} };
  }
}

test("an upgrade from a browser page of another origin is refused with HTTP 403 before any socket exists", async () => {
  now += 10_000;
  const refused = await upgrade("https://evil.example");
  assert.equal(refused.status, 403);
  assert.equal(JSON.parse(refused.body).code, "STARLANE_ERR_ORIGIN_REFUSED");
  assert.equal(await metric(zone, "starlane_zone_upgrades_refused_total", { code: "STARLANE_ERR_ORIGIN_REFUSED" }), 1);
  // The front door's origin, a listed one, and no Origin at all (bots) reach Colyseus.
  assert.equal((await upgrade("http://localhost:8080")).status, 101);
  assert.equal((await upgrade("https://play.example")).status, 101);
  assert.equal((await upgrade()).status, 101);
});

test("a seat over the per-address connection cap is closed with 4111; lt accounts are exempt; a leave frees a slot", async () => {
  now += 10_000;
  const a = await tryJoin("cap-a");
  const b = await tryJoin("cap-b");
  assert.equal(a.outcome, "joined");
  assert.equal(b.outcome, "joined");
  assert.equal(edge.connections("127.0.0.1"), 2, "both seats counted against the peer's address");
  const c = await tryJoin("cap-c");
  assert.equal(c.outcome, CloseCode.TooManyConnections);
  assert.equal(await metric(zone, "starlane_zone_clients_closed_total", { reason: "edge" }), 1);
  const bot = await tryJoin("cap-bot", true);
  assert.equal(bot.outcome, "joined", "a load-test account is not capped");
  assert.equal(edge.connections("127.0.0.1"), 2, "nor counted");
  await a.leave();
  await waitFor("the slot is given back", () => edge.connections("127.0.0.1") === 1);
  now += 10_000; // a new second for the upgrade rate
  const d = await tryJoin("cap-d");
  assert.equal(d.outcome, "joined");
  assert.equal(zone.server.room(REGION)!.sim.ships.has("cap-c"), false, "the refused seat never got a ship");
  for (const p of [b, bot, d]) await p.leave();
  await waitFor("every slot back", () => edge.connections("127.0.0.1") === 0);
});

test("more upgrades per second than allowed from one address: HTTP 429 with Retry-After; lt seats do not count", async () => {
  now += 10_000;
  const bots = [await tryJoin("rate-bot-1", true), await tryJoin("rate-bot-2", true)];
  for (const b of bots) assert.equal(b.outcome, "joined");
  const players = [await tryJoin("rate-1"), await tryJoin("rate-2")];
  for (const p of players) assert.equal(p.outcome, "joined");
  for (const p of players) await p.leave();
  // Two more admitted upgrades this second use up the four (seats count when admitted).
  const more = [await tryJoin("rate-3"), await tryJoin("rate-4")];
  for (const p of more) assert.equal(p.outcome, "joined");
  const refused = await upgrade();
  assert.equal(refused.status, 429);
  assert.equal(refused.retryAfter, "1");
  assert.equal(JSON.parse(refused.body).code, "STARLANE_ERR_RATE_LIMITED");
  now += 1000;
  assert.equal((await upgrade()).status, 101, "the next second is open again");
  for (const p of [...bots, ...more]) await p.leave();
});

test("a handoff seat is never refused by the cap: a player at the cap flies across a border and keeps flying", async () => {
  now += 10_000;
  const still = await tryJoin("h-still");
  assert.equal(still.outcome, "joined");
  // Region 1-1 spans x 2000..4000: the flyer starts just short of its east border, drifting east.
  zone.ships.put({
    playerId: "h-flyer",
    x: 3960,
    y: 3000,
    vx: 250,
    vy: 0,
    heading: 0,
    hull: 100,
    cargo: 0,
    credits: 0,
  });
  const client = new Client(zone.url);
  client.auth.token = await zone.tokens.sign({ sub: "h-flyer", name: "h-flyer" });
  const room = await client.joinById(REGION, {});
  room.reconnection.maxRetries = 0;
  let closedWith: number | undefined;
  room.onLeave((code) => {
    closedWith = code;
  });
  assert.equal(edge.connections("127.0.0.1"), 2, "the address is at its cap");
  const link = new ShipLink(client, room, "h-flyer", {
    onRoom: (r) => {
      r.reconnection.maxRetries = 0;
    },
  });
  for (let i = 0; i < 100 && link.handoffs === 0; i++) {
    zone.server.step();
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor("the new room shows the ship", () => !link.switching && link.handoffs === 1);
  assert.equal(zone.server.room("region-2-1")!.owns("h-flyer"), true);
  assert.notEqual(closedWith, CloseCode.TooManyConnections);
  await waitFor("the old seat is given back", () => edge.connections("127.0.0.1") === 2);
  link.close();
  await Promise.race([link.room.leave(true).catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
  await still.leave();
});
