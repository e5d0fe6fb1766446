// Chat's region channel after a real handoff: a zone server holding two neighbouring regions (real
// rooms, real ticks), a chat server on the same ship ownership record (as npm start wires them),
// and a pilot whose ship flies across the border. The zone hands the ship to the neighbour's room,
// the ownership record moves, and chat moves the pilot's region channel: the pilot's region
// messages now reach the players of the new region, not those of the old one.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { LocalDriver, LocalPresence } from "@colyseus/core";
import { Client, type Room } from "@colyseus/sdk";
import {
  CHAT_PATH,
  type ChatServer,
  createChatServer,
  createHistory,
  createModeration,
  LocalChatBus,
  LocalParties,
  LocalRoster,
  migrateChat,
} from "@starlane/chat";
import {
  ACCESS_TOKEN_TYPE,
  connectPostgres,
  createConnectionEdge,
  createLogger,
  createOperatorCheck,
  createRegistry,
  createTokenVerifier,
  LocalRegionDirectory,
  LocalShipOwnership,
  loadConfig,
  MemoryShipRepository,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from "@starlane/shared";
import { parseChatFrame, ShipLink } from "@starlane/shared/client";
import { createTestDatabase, type TestDatabase, waitFor } from "@starlane/shared/testing";
import { createZoneServer, type ZoneServer, zoneConfig } from "@starlane/zone";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type pg from "pg";
import WebSocket from "ws";

let tdb: TestDatabase;
let db: pg.Pool;
let zone: ZoneServer;
let chat: ChatServer;
let zoneUrl = "";
let chatUrl = "";
let sign: (sub: string) => Promise<string>;
const ships = new MemoryShipRepository();
const ownership = new LocalShipOwnership();
const rooms: Room[] = [];
const sockets: WebSocket[] = [];

before(async () => {
  tdb = await createTestDatabase();
  db = await connectPostgres(tdb.url, { max: 4 });
  await migrateChat(db);
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: TOKEN_ALGORITHM, use: "sig" };
  sign = (sub) =>
    new SignJWT({ name: sub })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: "k1", typ: ACCESS_TOKEN_TYPE })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime("15m")
      .sign(privateKey);
  const verifier = createTokenVerifier({ keys: { keys: [jwk] } });
  const log = createLogger("test", "warn");
  zone = createZoneServer(
    {
      log,
      verifier,
      directory: new LocalRegionDirectory(),
      presence: new LocalPresence(),
      driver: new LocalDriver(),
      ships,
      ownership,
    },
    loadConfig(zoneConfig, { STARLANE_ZONE_PORT: "0", STARLANE_ZONE_REGIONS: "1-1,2-1" }),
  );
  const { port } = await zone.listen();
  zoneUrl = `http://127.0.0.1:${port}`;
  chat = await createChatServer(
    {
      log,
      verifier,
      edge: createConnectionEdge({ allowedOrigins: [], maxConnectionsPerIp: 0, upgradesPerIpPerS: 0 }),
      bus: new LocalChatBus(),
      roster: new LocalRoster(),
      parties: new LocalParties(),
      history: createHistory(db, 50),
      moderation: createModeration(db),
      ownership,
      operatorCheck: createOperatorCheck(randomUUID() + randomUUID()),
      registry: createRegistry("chat"),
    },
    {
      host: "127.0.0.1",
      port: 0,
      rateMessages: 100,
      rateWindowMs: 1000,
      rateBurst: 100,
      floodCloseAfter: 20,
      maxChars: 500,
      maxFrameBytes: 8192,
    },
  );
  chatUrl = `ws://127.0.0.1:${chat.listen().port}${CHAT_PATH}`;
});

after(async () => {
  for (const s of sockets) s.terminate();
  // A connection the server already closed (the pilot's old room) never answers leave().
  for (const r of rooms) await Promise.race([r.leave(true).catch(() => {}), new Promise((ok) => setTimeout(ok, 500))]);
  await chat.close();
  await zone.close();
  await db.end();
  await tdb.drop();
});

// biome-ignore lint/suspicious/noExplicitAny: chat messages are inspected field by field
type Msg = Record<string, any>;

async function pilot(id: string, x: number, y: number, vx: number, region: string) {
  ships.put({ playerId: id, x, y, vx, vy: 0, heading: 0, hull: 100, cargo: 0, credits: 0 });
  const token = await sign(id);
  const client = new Client(zoneUrl);
  client.auth.token = token;
  const room = await client.joinById(region, {});
  room.reconnection.maxRetries = 0;
  rooms.push(room);
  const messages: Msg[] = [];
  const ws = new WebSocket(`${chatUrl}?access_token=${token}`);
  sockets.push(ws);
  ws.on("message", (d) => messages.push(...(parseChatFrame(d.toString("utf8")) as Msg[])));
  const next = (what: string, pred: (m: Msg) => boolean) => waitFor(what, () => messages.find(pred), 10_000);
  await next("global history", (m) => m.t === "history" && m.channel === "global");
  return { id, client, room, messages, next, say: (m: object) => ws.send(JSON.stringify(m)) };
}

const regionOf = (p: { messages: Msg[] }) =>
  p.messages.filter((m) => m.t === "welcome" || m.t === "region").at(-1)?.region as string | undefined;

test("the pilot's region channel follows the ship across a border: a real handoff between two rooms moves it", async () => {
  // Region 1-1 spans x 2000..4000; the pilot starts 200 units short of its east border, at rest.
  const flyer = await pilot("flyer", 3800, 3000, 0, "region-1-1");
  const east = await pilot("easterner", 4600, 3000, 0, "region-2-1");
  const west = await pilot("westerner", 2600, 3000, 0, "region-1-1");
  await waitFor("chat puts each player in their ship's region", () =>
    [regionOf(flyer), regionOf(east), regionOf(west)].join() === "region-1-1,region-2-1,region-1-1" ? true : undefined,
  );

  const link = new ShipLink(flyer.client, flyer.room as never, "flyer", {
    onRoom: (r: Room) => {
      r.reconnection.maxRetries = 0;
    },
  });
  const from = flyer.messages.length;
  const thrust = setInterval(() => link.send({ thrust: 1, turn: 0, fire: false }), 50);
  try {
    const moved = await waitFor(
      "the region message after the handoff",
      () => flyer.messages.slice(from).find((m) => m.t === "region"),
      10_000,
    );
    assert.equal(moved.region, "region-2-1");
  } finally {
    clearInterval(thrust);
  }
  assert.equal(zone.room("region-2-1")?.owns("flyer"), true, "the neighbour's room owns the ship");
  assert.equal(zone.room("region-1-1")?.owns("flyer"), false);
  assert.equal((await ownership.get("flyer"))?.region, "region-2-1", "the ownership record moved");
  await waitFor("the pilot followed the handoff", () => (link.handoffs >= 1 ? true : undefined), 10_000);

  flyer.say({ t: "say", channel: "region", text: "hello east" });
  await east.next("the new region hears the pilot", (m) => m.t === "message" && m.text === "hello east");
  assert.equal(east.messages.find((m) => m.text === "hello east")?.channel, "region:region-2-1");
  // Same bus, same order: once the old region has this global message, it would have had the other.
  flyer.say({ t: "say", channel: "global", text: "marker" });
  await west.next("the marker", (m) => m.text === "marker");
  assert.equal(west.messages.filter((m) => m.text === "hello east").length, 0, "the old region does not");
  west.say({ t: "say", channel: "region", text: "hello west" });
  await west.next("own region message", (m) => m.text === "hello west");
  flyer.say({ t: "say", channel: "global", text: "marker-2" });
  await flyer.next("marker-2", (m) => m.text === "marker-2");
  assert.equal(flyer.messages.filter((m) => m.text === "hello west").length, 0, "nor does the pilot hear it any more");
  rooms.push(link.room);
  link.close();
});
