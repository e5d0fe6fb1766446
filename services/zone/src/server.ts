// The zone server: one Colyseus server (uWebSockets.js transport) whose rooms are the regions this
// process holds in the RegionDirectory, plus /healthz, /readyz and /metrics on the same port.
import { randomBytes } from "node:crypto";
import { type IRoomCache, type MatchMakerDriver, matchMaker, type Presence, Server } from "@colyseus/core";
import { Encoder } from "@colyseus/schema";
import {
  ACCOUNT_EVENT_CLOSE,
  type AccountEvents,
  allRegions,
  type ConfigOf,
  type ConnectionEdge,
  createRegistry,
  edgeFromSettings,
  type Ledger,
  type Logger,
  mountOps,
  parseRegionRoomId,
  REGION_ROOM_NAME,
  type RegionDirectory,
  type RegionFencing,
  type RegionSnapshot,
  type RegionSnapshots,
  type Registry,
  type RelocationBoard,
  regionRoomId,
  type ShipOwnership,
  type ShipRepository,
  type ShipStatePublisher,
  SnapshotFormatError,
  type TokenVerifier,
  worldFromConfig,
  type ZoneStatusBoard,
} from "@starlane/shared";
import { colyseusLogger } from "./colyseus-log.js";
import { leaseTiming, type zoneConfig } from "./config.js";
import { gateMatchmaking, OpenPermits } from "./gate.js";
import { Leases } from "./lease.js";
import { ownListingsOnly } from "./listings.js";
import { createZoneMetrics } from "./metrics.js";
import { Relocator } from "./relocate.js";
import { boundRegionRoom, type RegionRoom } from "./room.js";
import type { RoomContext } from "./room-context.js";
import { Takeover } from "./takeover.js";
import { ZoneTransport } from "./transport.js";

export type ZoneConfig = ConfigOf<typeof zoneConfig>;

export interface ZoneDeps {
  log: Logger;
  verifier: TokenVerifier;
  directory: RegionDirectory;
  /** LocalPresence in the embedded mode, RedisPresence in the cluster. */
  presence: Presence;
  /** LocalDriver in the embedded mode, RedisDriver in the cluster. */
  driver: MatchMakerDriver;
  /** The zones' status reports: every live zone counts in a takeover's fair share (see takeover.ts). */
  zones?: Pick<ZoneStatusBoard, "list">;
  /** Where a joining player's ship comes from (persistence's repository; the zone only loads). */
  ships: Pick<ShipRepository, "load">;
  /**
   * Which room owns which ship. Shared with world entry, which asks it where a ship is: the embedded
   * mode passes one LocalShipOwnership to both, the cluster a RedisShipOwnership on the same Redis.
   */
  ownership: ShipOwnership;
  /** Write-behind of ship state to persistence (in-process queue embedded, Redis Stream in the cluster). */
  publisher?: ShipStatePublisher;
  /** The authority for credits and ore (sales at stations). Without it sales are refused (STARLANE_ERR_LEDGER_UNAVAILABLE). */
  ledger?: Ledger;
  /**
   * Fenced once a region is claimed, before its room opens and loads any ship: raises the region's
   * epoch in the store so the previous owner's late writes are refused from then on. Without it
   * nothing is fenced (tests without a store).
   */
  fencing?: RegionFencing;
  /**
   * Where each region's snapshot goes every STARLANE_ZONE_SNAPSHOT_MS, and what a takeover restores
   * from (LocalRegionSnapshots embedded, RedisRegionSnapshots in the cluster). Without it a taken-over
   * region starts empty and its ships come back from their stored rows.
   */
  snapshots?: RegionSnapshots;
  /** Defaults to a fresh registry labelled service=zone. */
  registry?: Registry;
  /**
   * Account decisions from the login service (ban, sessions ended): the zone closes that player's
   * connections with the event's code (4180, 4181). Without it only world entry enforces them.
   */
  accountEvents?: AccountEvents;
  /**
   * The connection edge (Origin allowlist, per-address caps, `lt` exempt). Default: from the config
   * (STARLANE_ZONE_ALLOWED_ORIGINS and the front door's origin, the per-address caps).
   */
  edge?: ConnectionEdge;
  /**
   * Planned region moves (zonectl move / drain, relocate.ts): orders this zone carries out as source
   * or target. Without it the zone takes no part in them (the embedded mode runs one zone).
   */
  relocations?: RelocationBoard;
}

export interface ZoneTestOptions {
  /** Do not run the tick on a timer: tests call step(). */
  manualTicks?: boolean;
}

export interface ZoneServer {
  readonly zoneId: string;
  readonly registry: Registry;
  /** Binds the port, claims regions, opens their rooms. Resolves the bound port and address. */
  listen(): Promise<{ port: number; address: string }>;
  /** Disconnects clients (4105), gives the regions back, closes the port. */
  close(): Promise<void>;
  /** Runs `n` ticks in every held region now (tests, benchmarks). */
  step(n?: number): void;
  /** The room of a held region, by region room id. */
  room(regionId: string): RegionRoom | undefined;
  /** The regions held, with their ownership epochs. */
  regions(): { region: string; epoch: number }[];
  /** Whether the zone may act on `region` now (held, and its lease fresh on the monotonic clock). */
  acting(region: string): boolean;
  /** Null when ready, or why not. */
  notReadyReason(): string | null;
  /** One lease renewal round now (tests; each region also renews every STARLANE_ZONE_LEASE_RENEW_MS). */
  renewNow(): Promise<void>;
}

/** The region room ids a zone should claim, from the STARLANE_ZONE_REGIONS setting. */
export function wantedRegions(config: ZoneConfig): string[] {
  const world = worldFromConfig(config);
  if (config.regions.trim() === "all") return allRegions(world).map(regionRoomId);
  return config.regions.split(",").map((part) => {
    const id = `region-${part.trim()}`;
    const r = parseRegionRoomId(id);
    if (!r || r.col >= world.cols || r.row >= world.rows) throw new RangeError(`not a region of this world: ${part}`);
    return id;
  });
}

// Colyseus's matchMaker is a per-process singleton: only one zone server may run in a process.
let running: ZoneServer | undefined;

export function createZoneServer(deps: ZoneDeps, config: ZoneConfig, test: ZoneTestOptions = {}): ZoneServer {
  // Every process is a new zone, even under an operator's fixed STARLANE_ZONE_ID: a restarted process
  // must never renew or re-claim its predecessor's leases at their epochs (the directory hands a zone
  // back its own live claim), so the id always ends in this instance's random suffix.
  const zoneId = `${config.zoneId ?? "zone"}-${randomBytes(4).toString("hex")}`;
  const log = deps.log.child({ zone: zoneId });
  const registry = deps.registry ?? createRegistry("zone", { zone: zoneId });
  const world = worldFromConfig(config);
  const rooms = new Map<string, RegionRoom>();
  const wanted = wantedRegions(config);
  let server: Server | undefined;
  let leases: Leases | undefined;
  let takeover: Takeover | undefined;
  let relocator: Relocator | undefined;
  /** Snapshots handed to the rooms a takeover is opening. */
  const restoring = new Map<string, RegionSnapshot | null>();
  let claimed = false;
  let closing: Promise<void> | undefined;
  let stopFollowing: (() => Promise<void>) | undefined;
  const permits = new OpenPermits();
  // Settings that cannot work stop the zone here, naming the setting.
  const timing = leaseTiming(config);
  const metrics = createZoneMetrics(registry);

  const ctx: RoomContext = {
    world,
    tickHz: config.tickHz,
    cellSize: config.cellSize,
    slowReaderBytes: config.slowReaderBytes,
    slowReaderCloseMs: config.slowReaderCloseMs,
    inputQueue: config.inputQueue,
    maxMessagesPerSecond: config.maxMessagesPerSecond,
    maxMessageBytes: config.maxMessageBytes,
    maxClients: config.maxClientsPerRegion,
    manualTicks: test.manualTicks ?? false,
    verifier: deps.verifier,
    edge: deps.edge ?? edgeFromSettings(config),
    loadTestPlayers: new Set(),
    ships: deps.ships,
    ownership: deps.ownership,
    address: "",
    borderBand: config.borderBand,
    handoffHysteresis: config.handoffHysteresis,
    handoffTimeoutMs: config.handoffTimeoutMs,
    handoffRetryMs: config.handoffRetryMs,
    ...(deps.publisher ? { publisher: deps.publisher } : {}),
    ...(deps.ledger ? { ledger: deps.ledger } : {}),
    saveEveryTicks: Math.max(1, Math.round((config.saveIntervalMs / 1000) * config.tickHz)),
    epochOf: (region) => leases?.epoch(region) ?? 0,
    acting: (region) => leases?.acting(region) ?? false,
    ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
    snapshotEveryTicks: Math.max(1, Math.round((timing.snapshotMs / 1000) * config.tickHz)),
    restoreOf: (roomId) => {
      const snap = restoring.get(roomId);
      restoring.delete(roomId);
      return snap;
    },
    regionLive: async (region) => (await deps.directory.owner(region)) !== null,
    mayOpen: (roomId) => permits.take(roomId),
    halted: (region) => relocator?.halted(region) ?? false,
    metrics,
    log,
    opened: (room) => {
      rooms.set(room.roomId, room);
      // The lease was lost while the room was opening (a claimer stalled mid-restore): it never acts.
      if (!leases?.acting(room.roomId)) {
        rooms.delete(room.roomId);
        room.fence();
      }
    },
    closed: (room) => {
      if (rooms.get(room.roomId) === room) rooms.delete(room.roomId);
    },
  };

  /**
   * Claims `region` at an epoch above every one the durable store has seen (so a Redis restarted
   * empty cannot hand out an old epoch again), then fences the store at it. Null when another zone
   * holds it or the claim went stale meanwhile.
   */
  async function claimRegion(region: string) {
    const l = leases!;
    const floor = (await deps.fencing?.current(region)) ?? 0;
    const held = await l.claim(region, floor);
    if (!held) return null;
    try {
      await deps.fencing?.fence(region, held.epoch);
    } catch (err) {
      // A newer epoch reached the store first: this claim is already stale.
      log.warn({ err, region, epoch: held.epoch }, "claim fenced out by a newer epoch");
      await l.giveUp(region);
      return null;
    }
    return held;
  }

  async function openRegion(region: string, snapshot?: RegionSnapshot | null) {
    permits.grant(region);
    if (snapshot !== undefined) restoring.set(region, snapshot);
    try {
      await matchMaker.handleCreateRoom(REGION_ROOM_NAME, { region }, undefined, region);
    } finally {
      permits.revoke(region);
      restoring.delete(region);
      // Listed now (handleCreateRoom recorded it): joins waiting for the room may go in.
      for (const seated of [...(waiting.get(region) ?? [])]) seated();
    }
  }

  /** Joins waiting for a region's room to open here (see gate.ts, OpeningSoon). */
  const waiting = new Map<string, Set<() => void>>();
  function opened(region: string, ms: number): Promise<boolean> {
    if (rooms.has(region)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const set = waiting.get(region) ?? new Set();
      waiting.set(region, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && waiting.get(region) === set) waiting.delete(region);
        resolve(rooms.has(region));
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  /**
   * Failover: claims a region whose lease expired, restores its newest snapshot and opens its room.
   * A snapshot of an unknown format is refused with one log line (the ships then come back from
   * their rows as their players join). A claimer that stalls past its fence while restoring never
   * opens the room (and never ticks it: the tick is gated on the lease), so a region never has twins.
   */
  async function takeRegion(region: string): Promise<boolean> {
    if (closing || !leases) return false;
    const started = performance.now();
    const held = await claimRegion(region);
    if (!held) return false;
    let snapshot: RegionSnapshot | null = null;
    try {
      snapshot = (await deps.snapshots?.load(region)) ?? null;
    } catch (err) {
      if (err instanceof SnapshotFormatError) log.error({ region, format: err.format }, err.message);
      else log.warn({ err, region }, "snapshot not loaded; restoring from the ship rows");
    }
    try {
      if (!leases.acting(region)) return false;
      await openRegion(region, snapshot);
    } catch (err) {
      log.error({ err, region }, "could not open a taken-over region; giving it back");
      await leases.giveUp(region);
      return false;
    }
    metrics.takeover(region, (performance.now() - started) / 1000);
    log.warn({ region, epoch: held.epoch, snapshotTick: snapshot?.tick ?? null }, "took over region");
    return true;
  }

  /**
   * A planned move, the target's side: takes `region` from exactly `from` (a higher epoch, the store
   * fenced), restores the snapshot the source stopped at (same epoch and tick) and opens the room.
   */
  async function adoptRegion(region: string, from: { zoneId: string; epoch: number }, tick: number) {
    if (closing || !leases) throw new Error("shutting down");
    if (!deps.snapshots) throw new Error("no snapshot store");
    const floor = (await deps.fencing?.current(region)) ?? 0;
    const held = await leases.claimFrom(region, from, floor);
    if (!held) throw new Error(`${region} is no longer held by ${from.zoneId} at epoch ${from.epoch}`);
    await deps.fencing?.fence(region, held.epoch);
    const snapshot = await deps.snapshots.load(region);
    if (!snapshot || snapshot.epoch !== from.epoch || snapshot.tick !== tick)
      throw new Error(`${region}: the final snapshot (epoch ${from.epoch}, tick ${tick}) is not the stored one`);
    if (!leases.acting(region)) throw new Error(`${region}: lease lost while restoring`);
    await openRegion(region, snapshot);
    const room = rooms.get(region);
    if (!room) throw new Error(`${region}: the room did not open`);
    log.info({ region, epoch: held.epoch, from: from.zoneId, snapshotTick: tick }, "adopted a moved region");
    return { epoch: held.epoch, room };
  }

  const self: ZoneServer = {
    zoneId,
    registry,

    async listen() {
      // Colyseus's matchMaker is a per-process singleton that cannot be restarted once shut down.
      if (running || matchMaker.state === matchMaker.MatchMakerState.SHUTTING_DOWN) {
        throw new Error("one zone server per process: Colyseus's matchMaker is a process-wide singleton");
      }
      running = self;
      const transport = new ZoneTransport({
        // uWS closes frames over this itself (1009); the smaller application limit (4102) is
        // checked per frame in the room. See services/zone/README.md.
        maxPayloadLength: Math.max(16 * 1024, config.maxMessageBytes * 4),
        // A receiver that cannot keep up is closed rather than buffered without bound.
        maxBackpressure: 512 * 1024,
        closeOnBackpressureLimit: true,
        idleTimeout: 60,
        edge: ctx.edge,
        refused: (code) => ctx.metrics.upgradeRefused(code),
      });
      // Per-client views are encoded one after another into the encoder's shared buffer: size it for
      // a full room up front instead of letting it overflow, warn and re-encode while it grows.
      Encoder.BUFFER_SIZE = Math.max(
        Encoder.BUFFER_SIZE,
        Math.min(16 * 1024 * 1024, config.maxClientsPerRegion * 8 * 1024),
      );
      mountOps(transport.app, { registry, notReadyReason: () => self.notReadyReason() });
      // Clients take seats only in the rooms this zone opened for regions it holds (see gate.ts).
      gateMatchmaking(transport.app, (roomId) => rooms.has(roomId), {
        expecting: (roomId) => takeover?.expecting(roomId) ?? false,
        verifier: deps.verifier,
        opened,
        // At most about one lease: world entry gives a seat reservation 3 s by default.
        waitMs: Math.min(timing.ttlMs, 2500),
      });
      server = new Server({
        transport,
        presence: deps.presence,
        driver: ownListingsOnly(deps.driver, {
          // Colyseus keeps a room's listing in a private field; it is the object its driver calls get.
          current: (roomId) =>
            self.acting(roomId) ? (rooms.get(roomId) as unknown as { _listing?: IRoomCache })?._listing : undefined,
          closing: () => closing !== undefined,
        }),
        greet: false,
        gracefullyShutdown: false,
        logger: colyseusLogger(log),
        ...(config.publicAddress ? { publicAddress: config.publicAddress } : {}),
        // Region rooms are created here, where the region was claimed, never on another process.
        selectProcessIdToCreateRoom: async () => matchMaker.processId,
      });
      server.define(REGION_ROOM_NAME, boundRegionRoom(ctx));
      try {
        await server.listen(config.port, config.host);
      } catch (err) {
        running = undefined;
        throw err;
      }
      stopFollowing = await deps.accountEvents?.follow((event) => {
        for (const room of rooms.values()) room.closePlayer(event.account, ACCOUNT_EVENT_CLOSE[event.kind]);
      });
      const port = transport.port;
      const address = config.publicAddress ?? `${config.host}:${port}`;
      ctx.address = address;
      leases = new Leases(deps.directory, { zoneId, address }, timing, log, {
        renewal: (outcome) => metrics.leaseRenewal(outcome),
        lost(region, reason) {
          // A region halted for a move loses its lease to the target: that is the move (relocate.ts).
          if (relocator?.halted(region)) return;
          metrics.regionLost(reason);
          takeover?.lost(region);
          // Someone else may own it now: stop acting on it at once (no tick, save, handoff or
          // snapshot from here on) and send its players back to world entry (4106).
          const room = rooms.get(region);
          rooms.delete(region);
          room?.fence();
        },
      });
      // Renewals run from the first claim on: opening many rooms can take longer than the fence allows.
      leases.start();
      for (const region of wanted) {
        const held = await claimRegion(region);
        if (!held) {
          log.info({ region }, "region held by another zone; skipping");
          continue;
        }
        await openRegion(region);
        log.info({ region, epoch: held.epoch }, "serving region");
      }
      claimed = true;
      if (config.takeover) {
        takeover = new Takeover({
          directory: deps.directory,
          zoneId,
          regions: allRegions(world).map(regionRoomId),
          everyMs: timing.renewMs,
          ttlMs: timing.ttlMs,
          held: () => leases?.held().map((h) => h.region) ?? [],
          ...(deps.zones ? { liveZones: async () => (await deps.zones!.list()).map((z) => z.id) } : {}),
          take: (region) => takeRegion(region),
          log,
        });
        takeover.start();
      }
      if (deps.relocations) {
        const l = leases;
        relocator = new Relocator(
          deps.relocations,
          {
            zoneId,
            address: () => ctx.address,
            room: (region) => rooms.get(region),
            epoch: (region) => l.epoch(region),
            adopt: adoptRegion,
            async abandon(region) {
              const room = rooms.get(region);
              rooms.delete(region);
              room?.fence();
              await l.giveUp(region);
            },
            surrender(region) {
              l.surrender(region);
              rooms.delete(region);
            },
            stopTakeover: () => void takeover?.stop(),
          },
          log,
        );
        await relocator.start();
      }
      return { port, address };
    },

    close() {
      closing ??= (async () => {
        claimed = false;
        await takeover?.stop();
        await relocator?.stop();
        await stopFollowing?.();
        // Rooms first (clients get 4105 and may reconnect elsewhere), then the leases.
        if (server) await server.gracefullyShutdown(false);
        // Every leaving player's ship was handed to the publisher; get it out before letting go.
        await deps.publisher?.flush(5000).catch((err) => log.error({ err }, "ship states not saved at shutdown"));
        await leases?.releaseAll();
        rooms.clear();
        if (running === self) running = undefined;
      })();
      return closing;
    },

    step(n = 1) {
      for (let i = 0; i < n; i++) for (const room of rooms.values()) room.tick();
    },

    room: (regionId) => rooms.get(regionId),

    renewNow: async () => leases?.renew(),

    regions: () => leases?.held().map(({ region, epoch }) => ({ region, epoch })) ?? [],

    acting: (region) => (leases?.acting(region) ?? false) && !relocator?.halted(region),

    notReadyReason() {
      if (closing) return "shutting down";
      if (!claimed) return "claiming regions";
      if (rooms.size === 0) return "holds no region";
      return null;
    },
  };
  return self;
}
