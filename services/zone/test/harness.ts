// Boots a real zone server (uWebSockets.js transport, port 0, in-process presence) whose ticks the
// test drives with step(), and joins it with the real Colyseus SDK and real signed tokens.
import { LocalDriver, LocalPresence } from "@colyseus/core";
import { Client, type Room } from "@colyseus/sdk";
import {
  createLogger,
  type Ledger,
  LocalRegionDirectory,
  LocalShipOwnership,
  loadConfig,
  MemoryLedger,
  MemoryShipRepository,
  type RegionDirectory,
  type RegionView,
  type ShipOwnership,
} from "@starlane/shared";
import { attachRegion, regionView } from "@starlane/shared/client";
import { waitFor } from "@starlane/shared/testing";
import { zoneConfig } from "../src/config.js";
import { createZoneServer, type ZoneDeps, type ZoneServer } from "../src/server.js";
import { type TestTokens, testTokens } from "./tokens.js";

export type { RegionView };

export interface Player {
  id: string;
  room: Room<unknown, RegionView>;
  state(): RegionView;
  /** Messages of type `error` received so far. */
  errors: { code: string }[];
  /** Resolves with the close code when the server ends the connection. */
  closed: Promise<number>;
}

export interface Zone {
  server: ZoneServer;
  port: number;
  url: string;
  tokens: TestTokens;
  ships: MemoryShipRepository;
  directory: RegionDirectory;
  join(opts?: { id?: string; name?: string; region?: string; token?: string }): Promise<Player>;
  close(): Promise<void>;
}

export const REGION = "region-1-1";

export async function startZone(
  env: Record<string, string> = {},
  directory: RegionDirectory = new LocalRegionDirectory(),
  ownership?: ShipOwnership,
  /** The ledger over the zone's ship store (default: a MemoryLedger). */
  ledger: (ships: MemoryShipRepository) => Ledger = (ships) => new MemoryLedger(ships),
  extra: Pick<ZoneDeps, "accountEvents" | "edge"> = {},
): Promise<Zone> {
  const tokens = await testTokens();
  const ships = new MemoryShipRepository();
  const config = loadConfig(zoneConfig, {
    STARLANE_ZONE_PORT: "0",
    STARLANE_ZONE_REGIONS: "1-1",
    STARLANE_ZONE_ID: "zone-test",
    // Tests join many players from 127.0.0.1 at once: the per-address caps are off unless a test
    // (zone-edge.test.ts) sets them.
    STARLANE_ZONE_MAX_CONNECTIONS_PER_IP: "0",
    STARLANE_ZONE_UPGRADES_PER_IP_PER_S: "0",
    // A loaded test machine can stall the event loop past a short lease's fence; tests of the
    // fence itself set their own TTL.
    STARLANE_ZONE_LEASE_TTL_MS: "30000",
    ...env,
  });
  const server = createZoneServer(
    {
      log: createLogger("zone", "silent"),
      verifier: tokens.verifier,
      directory,
      presence: new LocalPresence(),
      driver: new LocalDriver(),
      ships,
      ownership: ownership ?? new LocalShipOwnership(),
      ledger: ledger(ships),
      ...extra,
    },
    config,
    { manualTicks: true },
  );
  const { port } = await server.listen();
  const url = `http://127.0.0.1:${port}`;
  const players: Player[] = [];
  let n = 0;
  return {
    server,
    port,
    url,
    tokens,
    ships,
    directory,
    async join({ id = `player-${++n}`, name = id, region = REGION, token } = {}) {
      const client = new Client(url);
      client.auth.token = token ?? (await tokens.sign({ sub: id, name }));
      const room = await client.joinById<RegionView>(region, {});
      // A frame the decoder refuses is a bug in the encoder or decoder: loud in the test output.
      attachRegion(room, { self: id, onError: (err) => console.error(`${id}: ${err.message}`) });
      // The SDK would otherwise try to reconnect after the server closes us on purpose.
      room.reconnection.maxRetries = 0;
      const errors: { code: string }[] = [];
      room.onMessage("error", (m: { code: string }) => errors.push(m));
      const closed = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
      await waitFor("the first state", () => regionView(room)?.ships.has(id));
      const p = { id, room, state: () => regionView(room)!, errors, closed };
      players.push(p);
      return p;
    },
    async close() {
      // A connection the server already closed never answers leave(): don't wait for it.
      for (const p of players) await Promise.race([p.room.leave(true).catch(() => {}), p.closed]);
      await server.close();
    },
  };
}

/** Steps the server, then waits until `player` has received the state of the last tick. */
export async function tickAndSync(zone: Zone, players: Player[], n = 1): Promise<number> {
  zone.server.step(n);
  const tick = zone.server.room(REGION)!.sim.tick;
  for (const p of players) await waitFor(`${p.id} to see tick ${tick}`, () => p.state().tick >= tick);
  return tick;
}

/** The value of a counter or gauge sample on the zone's registry (0 when absent). */
export async function metric(zone: Zone, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = zone.server.registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
