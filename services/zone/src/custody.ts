// Ship custody: which ships one region room is the authority for, as one state machine per ship.
// Every change of custody goes through a named transition here (join, accept, offer, kept, handed
// off, arrived, expired, player left), and each transition decides all of its side effects in one
// place: the ownership compare-and-set, the saver, the ghost left behind, which player is sent
// where. Nothing here knows sockets or Colyseus: the room injects what custody needs (the ownership
// record, the ship store, the saver, a clock, a way to call another room, a way to reserve a seat)
// and is told through hooks when a player has to go elsewhere. The protocol is described in
// services/zone/README.md, "Handoff".
import { randomUUID } from "node:crypto";
import {
  type Logger,
  type OwnerRecord,
  type Region,
  regionOf,
  regionRoomId,
  type ShipOwnership,
  type ShipRepository,
  type SnapshotShip,
  StarlaneError,
  sameRegion,
  toGhost,
  type WorldConfig,
} from "@starlane/shared";
import type { Ghost } from "./ghosts.js";
import { checkOffer, type HandoffAccepted, type HandoffOffer, handoffTarget } from "./handoff.js";
import type { HandoffAbort, ZoneMetrics } from "./metrics.js";
import type { Ship, SimState } from "./rules/types.js";
import type { ShipSaver } from "./saving.js";
import { spawnShip } from "./sim.js";

/**
 * What a room is to one ship:
 * - `locating`: a join is finding the ship (asking its owner, loading it); not simulated here yet;
 * - `owned`: simulated here, this room holds the record's current version, its player is seated
 *   (or gone: then the ship leaves the world with it);
 * - `arriving`: owned, handed in (or reserved for a resume), waiting for its player's seat;
 * - `offering`: offered to a neighbour, still simulated here with its inputs held;
 * - `gone`: not here (never was, handed off, or left the world).
 */
export type CustodyState = "gone" | "locating" | "owned" | "arriving" | "offering";

/** A seat in the room that owns a ship, sent to its player as a `handoff` message. */
export interface Redirect {
  roomId: string;
  reservation: unknown;
  address: string;
}

/** The owner's answer to "a seat for this player": "moving" while it hands the ship on, null when it has none. */
export type ResumeAnswer = { reservation: unknown; address: string } | "moving" | null;

/** What one region room asks another (directly in-process, over presence across processes). */
export interface RemoteRoom {
  acceptHandoff(offer: HandoffOffer): Promise<HandoffAccepted>;
  reserveResume(sub: string, name: string): Promise<ResumeAnswer>;
}

/** Calls `method` on the room `roomId` and rejects after `ms` (see call-room.ts). */
export type CallRoom = <M extends keyof RemoteRoom>(
  roomId: string,
  method: M,
  args: Parameters<RemoteRoom[M]>,
  ms: number,
) => Promise<Awaited<ReturnType<RemoteRoom[M]>>>;

export interface Clock {
  /** Milliseconds (Date.now() in production). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How the room hears from custody and answers it. */
export interface CustodyHooks {
  /** Whether the ship's player has its seat here (not a seat in transit elsewhere). */
  seated(playerId: string): boolean;
  /** A seat here for a player coming with `handoff` (valid once, for this player only). */
  reserveSeat(playerId: string, name: string, handoff: string): Promise<unknown>;
  /**
   * The ship now belongs to room `to`: its player, if seated here, must go there. `redirect` is the
   * seat the new owner gave; null when its answer was lost (then ask with `seatWithOwner`).
   */
  handedOff(playerId: string, to: string, redirect: Redirect | null, name: string): void;
  /**
   * A ledger operation of the ship is in flight: the ship does not leave the world before it settles
   * (released with the committed result; a rejoin meanwhile finds it here, or is sent here).
   */
  busy?(playerId: string): boolean;
}

export interface CustodyOptions {
  roomId: string;
  region: Region;
  world: WorldConfig;
  /** The room's simulation: custody decides which ships are in `sim.ships`. */
  sim: SimState;
  ownership: ShipOwnership;
  ships: Pick<ShipRepository, "load">;
  /** Write-behind; without it ships live only as long as their room. */
  saver?: ShipSaver | undefined;
  /** Where a ship handed away stays visible until its new owner's ghosts arrive. */
  ghosts: { hold(from: string, ghost: Ghost, now: number): void };
  callRoom: CallRoom;
  /** Whether some zone holds a live lease on `region` (a room that does not answer may only be slow). */
  regionLive(region: string): Promise<boolean>;
  /**
   * Whether this zone may act on the room's region now (its lease is fresh on its monotonic clock).
   * Checked right before every move that takes a ship into this room (restore, join, accept): a
   * zone frozen past its fence must not, on waking, take a ship from the region's next owner (whose
   * room has the same id) or accept one meant for it.
   */
  acting(): boolean;
  clock: Clock;
  metrics: Pick<ZoneMetrics, "handoffStarted" | "handoffCompleted" | "handoffAborted">;
  log: Logger;
  /** Where clients reach this zone (host:port). */
  address(): string;
  handoffHysteresis: number;
  handoffTimeoutMs: number;
  handoffRetryMs: number;
  hooks: CustodyHooks;
}

/** How long a ship handed in waits for its player (then it leaves the world like a player who left). */
const ARRIVAL_WAIT_MS = 15_000;
/** How often a join asks the ship's owner again while the ship is between rooms. */
const LOCATE_ATTEMPTS = 4;
/** How often the source asks the new owner for its player's seat when the accept's answer was lost. */
const SEAT_ATTEMPTS = 5;

/** One ship simulated here. */
interface Held {
  phase: "owned" | "offering";
  /** The ownership record's version this room holds. */
  version: number;
  /** After an aborted offer: none again before this. */
  retryAt: number;
  /** Handed in or reserved for a resume: the seat's handoff id, and until when the ship waits. */
  arrival?: { handoff: string; expires: number } | undefined;
  /** Its player left while a ledger operation was in flight: it leaves the world once that settles. */
  leaving?: boolean;
}

export class ShipCustody implements RemoteRoom {
  readonly #o: CustodyOptions;
  readonly #held = new Map<string, Held>();
  /** Joins under way per player (a player may join twice at once). */
  readonly #locating = new Map<string, number>();
  #closed = false;
  /** The zone lost the region: custody writes nothing any more (the new owner restores its ships). */
  #fenced = false;

  constructor(options: CustodyOptions) {
    this.#o = options;
  }

  state(ship: string): CustodyState {
    const h = this.#held.get(ship);
    if (h) return h.phase === "offering" ? "offering" : h.arrival ? "arriving" : "owned";
    return this.#locating.has(ship) ? "locating" : "gone";
  }

  /** Whether this room is the authority for `ship` right now (simulated here, not being offered). */
  owns(ship: string): boolean {
    return this.#o.sim.ships.has(ship) && !this.handingOff(ship);
  }

  /** The ownership version held for `ship` (undefined when none). */
  versionOf(ship: string): number | undefined {
    return this.#held.get(ship)?.version;
  }

  /** Whether `ship` is being offered to a neighbour: its inputs wait, nobody saves it. */
  handingOff(ship: string): boolean {
    return this.#held.get(ship)?.phase === "offering";
  }

  /** The room is closing: no more ships come in, and what is in flight stops retrying. */
  close(): void {
    this.#closed = true;
  }

  /**
   * The zone lost the region: like close(), and from now on custody writes nothing (no save, no
   * ownership release or keep). The records still name this region, so its new owner takes the
   * ships over with a compare-and-set, and a neighbour's in-flight accept settles who owns a ship.
   */
  fence(): void {
    this.#closed = true;
    this.#fenced = true;
  }

  /**
   * A player takes a seat here ("arrived" when it comes with the seat of a pending arrival). Its
   * ship is here: null. Otherwise custody locates it: another live room owns it -> a redirect
   * there; nobody does (or the owner's region has no zone any more) -> taken from the ship store.
   * A ship between rooms, or an owner alive but silent, is waited for and then refused with
   * STARLANE_ERR_REGION_UNAVAILABLE (the client retries): taking a ship from a live owner would
   * make two authoritative copies.
   */
  async join(playerId: string, name: string, handoff?: string): Promise<Redirect | null> {
    // A handoff seat is good once (Colyseus consumes the reservation). If the ship moved on before
    // its player came, the locate below finds the owner and redirects there.
    const h = this.#held.get(playerId);
    if (handoff !== undefined && h?.arrival?.handoff === handoff) h.arrival = undefined;
    if (this.#o.sim.ships.has(playerId)) {
      if (h) h.leaving = false;
      return null;
    }
    this.#locating.set(playerId, (this.#locating.get(playerId) ?? 0) + 1);
    try {
      return await this.#locate(playerId, name);
    } finally {
      const n = (this.#locating.get(playerId) ?? 1) - 1;
      if (n > 0) this.#locating.set(playerId, n);
      else this.#locating.delete(playerId);
    }
  }

  async #locate(playerId: string, name: string): Promise<Redirect | null> {
    const o = this.#o;
    let rec = await o.ownership.get(playerId);
    for (let attempt = 1; rec?.region && rec.region !== o.roomId; attempt++) {
      let answer: ResumeAnswer | "silent" = "silent";
      try {
        answer = await o.callRoom(rec.region, "reserveResume", [playerId, name ?? playerId], o.handoffTimeoutMs);
      } catch {
        // Not answering: slow, or its zone is gone (then its region's lease lapses).
      }
      if (answer && answer !== "moving" && answer !== "silent") return { roomId: rec.region, ...answer };
      const now = await o.ownership.get(playerId);
      const moved = now?.region !== rec.region || now?.version !== rec.version;
      rec = now;
      if (moved) continue; // ask the new owner
      // The owner does not have it (it left) or no zone holds the owner's region: ours to take.
      if (answer === null || (answer === "silent" && !(await o.regionLive(rec!.region)))) break;
      if (attempt >= LOCATE_ATTEMPTS) throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE");
      await o.clock.sleep(o.handoffRetryMs / 2);
    }
    // Load before taking ownership, so the record never names this room while the ship is not here.
    const stored = await o.ships.load(playerId).catch((err) => {
      // The ship store is down or saturated: a documented, retryable refusal.
      o.log.warn({ err, player: playerId, region: o.roomId }, "could not load a ship");
      throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE", undefined, { cause: err });
    });
    // A seat is only good in the region the ship is in: a client cannot pick its region. Unless the
    // ownership record names this room (world entry sends players where the record says): then the
    // record, not the client, chose it, and a ship stored beyond the border is handed on next tick.
    const named = rec?.region === o.roomId;
    if (stored && !named && !sameRegion(regionOf(o.world, stored.x, stored.y), o.region)) {
      throw new StarlaneError("STARLANE_ERR_SEAT_INVALID");
    }
    if (o.sim.ships.has(playerId)) return null; // handed in while we were asking
    // Not taken: it moved meanwhile (joining again finds where), or this zone is past its fence (its
    // room may be about to close; the region's next owner has a room of the same id).
    const taken = await this.#takeFrom(playerId, rec ?? null);
    if (!taken) throw new StarlaneError("STARLANE_ERR_REGION_UNAVAILABLE");
    if (!o.sim.ships.has(playerId)) {
      spawnShip(o.sim, { ...(stored ?? {}), id: playerId, name });
      o.saver?.adopt(playerId, stored);
    }
    const h = this.#held.get(playerId);
    if (h) h.version = taken.version;
    else this.#held.set(playerId, { phase: "owned", version: taken.version, retryAt: 0 });
    return null;
  }

  /**
   * A takeover: the region's previous owner is gone and this room restores its snapshot's ships.
   * Each is taken with a compare-and-set on its record as it stands (naming this region, or lost
   * with a Redis restarted empty), so a ship a neighbour accepted from the dead room stays the
   * neighbour's and a ship that left the world stays gone: every ship ends with exactly one owner.
   * Credits and cargo come from the ship's stored row when the ledger committed more than the
   * snapshot knew. A restored ship waits for its player like a handed-in one. A ship whose record
   * names this region but is not in the snapshot (the dead owner accepted it from a neighbour, or
   * its player joined, after the snapshot) comes from its stored row: otherwise it would have no
   * owner until its player came back. Resolves how many ships were restored.
   */
  async restore(ships: SnapshotShip[], concurrency = 8): Promise<number> {
    const o = this.#o;
    let restored = 0;
    const queue: (SnapshotShip | string)[] = [...ships];
    const inSnapshot = new Set(ships.map((s) => s.id));
    for (const id of await o.ownership.shipsIn(o.roomId).catch(() => [])) if (!inSnapshot.has(id)) queue.push(id);
    // After the snapshot: the row is all there is (movement since its last save is lost).
    const fromRow = async (id: string) => {
      const rec = await o.ownership.get(id);
      if (rec?.region !== o.roomId) return;
      const stored = await o.ships.load(id);
      if (!stored || o.sim.ships.has(id)) return; // never stored: its player's join creates it
      const taken = await this.#takeFrom(id, rec);
      if (!taken || o.sim.ships.has(id)) return;
      spawnShip(o.sim, { ...stored, id, name: id });
      o.saver?.adopt(id, stored);
      this.#arriving(id, taken.version, "restored");
      restored++;
    };
    const one = async (snap: SnapshotShip) => {
      const { version, ledgerVersion, ...ship } = snap;
      const rec = await o.ownership.get(ship.id);
      if (rec && rec.region !== o.roomId) return; // handed on, or left the world, after the snapshot
      const stored = await o.ships.load(ship.id).catch(() => null);
      const taken = await this.#takeFrom(ship.id, rec);
      if (!taken || o.sim.ships.has(ship.id)) return;
      const ledgerNewer = stored && (stored.ledgerVersion ?? 0) > ledgerVersion;
      const restoredShip: Ship = ledgerNewer
        ? { ...ship, credits: stored.credits, cargo: stored.cargo, holdLevel: stored.holdLevel ?? ship.holdLevel }
        : ship;
      o.sim.ships.set(ship.id, restoredShip);
      o.saver?.adopt(ship.id, {
        version: Math.max(version, stored?.version ?? 0),
        ledgerVersion: ledgerNewer ? stored.ledgerVersion : ledgerVersion,
      });
      this.#arriving(ship.id, taken.version, "restored");
      restored++;
    };
    const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const id = typeof next === "string" ? next : next.id;
        await (typeof next === "string" ? fromRow(next) : one(next)).catch((err) =>
          o.log.warn({ err, player: id, region: o.roomId }, "could not restore a ship"),
        );
      }
    });
    await Promise.all(workers);
    return restored;
  }

  /**
   * Moves `ship`'s record from where it stands (`rec`, none: a record Redis lost) to this room, only
   * while the zone may act on the region: checked with nothing awaited before the move is sent, so
   * the move lands while the lease holds. Null when not acting or the record moved meanwhile.
   */
  #takeFrom(ship: string, rec: OwnerRecord | null): Promise<OwnerRecord | null> {
    if (this.#fenced || !this.#o.acting()) return Promise.resolve(null);
    return this.#o.ownership.move(ship, rec?.region ?? "", rec?.version ?? 0, this.#o.roomId);
  }

  /** `ship` is owned here at `version` and waits for its player's seat (`handoff`: the seat's id). */
  #arriving(ship: string, version: number, handoff: string): void {
    this.#held.set(ship, {
      phase: "owned",
      version,
      retryAt: 0,
      arrival: { handoff, expires: this.#o.clock.now() + ARRIVAL_WAIT_MS },
    });
  }

  /**
   * The player's seat here is gone (it left, and no newer seat took its place). The ship leaves the
   * world with it, unless it is being offered: then the offer settles first (its player may resume
   * on the other side; a ship kept here with nobody to wait for leaves then).
   */
  playerLeft(playerId: string): void {
    if (this.handingOff(playerId)) return;
    const h = this.#held.get(playerId);
    // Released now, its row would be loaded by a rejoin before the ledger's answer, which then finds
    // no ship to apply to: the screen would keep the pre-operation credits.
    if (h && this.#o.hooks.busy?.(playerId)) h.leaving = true;
    else this.#release(playerId);
  }

  /**
   * Called by a neighbour's room: take the ship if the offer is addressed here, the ship is inside
   * this region and the ownership record is still exactly what the source holds. The compare-and-set
   * is the moment ownership moves; the ship then waits for its player ("arriving").
   */
  async acceptHandoff(offer: HandoffOffer): Promise<HandoffAccepted> {
    const o = this.#o;
    const v = checkOffer(o.world, o.region, offer);
    if (!v.ok) throw new Error(`handoff refused: ${v.reason}`);
    if (this.#closed) throw new Error("handoff refused: closing");
    if (o.sim.ships.has(offer.ship.id)) throw new Error("handoff refused: already here");
    if (!o.acting()) throw new Error("handoff refused: region not held");
    const rec = await o.ownership.move(offer.ship.id, offer.from, offer.version, o.roomId);
    if (!rec) throw new Error("handoff refused: stale version");
    const ship: Ship = { ...offer.ship };
    o.sim.ships.set(ship.id, ship);
    // Persistence versions continue from the source's, so the store orders both rooms' saves.
    o.saver?.adopt(ship.id, offer.saved ?? null);
    this.#arriving(ship.id, rec.version, offer.id);
    let reservation: unknown = null;
    try {
      reservation = await o.hooks.reserveSeat(ship.id, ship.name, offer.id);
    } catch (err) {
      // The ship is ours either way; without a seat the player comes back through a plain join.
      o.log.warn({ err, player: ship.id, region: o.roomId }, "could not reserve a handoff seat");
    }
    return { reservation, address: o.address(), version: rec.version };
  }

  /**
   * Called by a room a player joined while its ship is here: a seat for that player (the ship then
   * waits for it); "moving" while the ship is being handed on; null when the ship is not here.
   */
  async reserveResume(sub: string, name: string): Promise<ResumeAnswer> {
    const o = this.#o;
    if (this.handingOff(sub) || (this.#closed && o.sim.ships.has(sub))) return "moving";
    const h = this.#held.get(sub);
    if (!o.sim.ships.has(sub) || !h) return null;
    const handoff = randomUUID();
    h.arrival = { handoff, expires: o.clock.now() + ARRIVAL_WAIT_MS };
    return { reservation: await o.hooks.reserveSeat(sub, name, handoff), address: o.address() };
  }

  /** Once per tick, after the simulation: ships past the border are offered to their new region. */
  offerLeavers(staying: (playerId: string) => boolean = () => false): void {
    const o = this.#o;
    const now = o.clock.now();
    for (const ship of o.sim.ships.values()) {
      const h = this.#held.get(ship.id);
      if (!h || h.phase === "offering" || h.leaving || ship.respawnIn > 0 || h.retryAt > now || staying(ship.id))
        continue;
      const to = handoffTarget(o.world, o.region, ship.x, ship.y, o.handoffHysteresis);
      if (to) this.#offer(ship, h, regionRoomId(to));
    }
  }

  /**
   * Once per tick: a ship whose player did not come within ARRIVAL_WAIT_MS leaves the world, and so
   * does one whose player left during a ledger operation, once it settled.
   */
  expireArrivals(): void {
    const now = this.#o.clock.now();
    for (const [id, h] of this.#held) {
      if (h.leaving && !this.#o.hooks.busy?.(id)) {
        h.leaving = false;
        if (h.phase !== "offering" && !h.arrival && !this.#o.hooks.seated(id)) this.#release(id);
      }
      if (!h.arrival || h.arrival.expires > now) continue;
      h.arrival = undefined;
      // An offer in flight settles first (kept with nobody to wait for, the ship leaves then).
      if (h.phase !== "offering" && !this.#o.hooks.seated(id)) this.#release(id);
    }
  }

  /** Hands every ship held here (not those being offered: the side that ends up owning one saves it) to the saver. */
  saveAll(): void {
    const saver = this.#o.saver;
    if (!saver) return;
    for (const ship of this.#o.sim.ships.values()) if (!this.handingOff(ship.id)) saver.save(ship);
  }

  /**
   * A seat for `playerId` in the room that owns its ship now, starting with `first` and following
   * the record when the ship moved on: up to SEAT_ATTEMPTS tries while `wanted()`. Null when none.
   */
  async seatWithOwner(playerId: string, first: string, name: string, wanted: () => boolean): Promise<Redirect | null> {
    const o = this.#o;
    let owner = first;
    for (let i = 0; i < SEAT_ATTEMPTS && !this.#closed && wanted(); i++) {
      try {
        // The ship may have moved on meanwhile: ask whoever the record names now.
        if (i > 0) owner = (await o.ownership.get(playerId))?.region || owner;
        if (owner === o.roomId) break;
        const there = await o.callRoom(owner, "reserveResume", [playerId, name], o.handoffTimeoutMs * (i + 1));
        if (there && there !== "moving") return { roomId: owner, ...there };
      } catch {
        // slow or gone: try again, then give up
      }
      await o.clock.sleep(o.handoffRetryMs);
    }
    return null;
  }

  /** owned -> offering: the ship keeps flying here (inputs held) while the target decides. */
  #offer(ship: Ship, h: Held, to: string): void {
    const o = this.#o;
    const offer: HandoffOffer = {
      id: randomUUID(),
      from: o.roomId,
      to,
      version: h.version,
      ship: { ...ship },
      ...(o.saver ? { saved: o.saver.versions(ship.id) } : {}),
    };
    h.phase = "offering";
    o.metrics.handoffStarted(o.roomId);
    this.#runOffer(offer, performance.now()).catch((err) => {
      o.log.error({ err, player: ship.id, region: o.roomId }, "handoff failed");
    });
  }

  async #runOffer(offer: HandoffOffer, started: number): Promise<void> {
    const o = this.#o;
    const id = offer.ship.id;
    let reason: HandoffAbort = "refused";
    try {
      const accepted = await o.callRoom(offer.to, "acceptHandoff", [offer], o.handoffTimeoutMs);
      return this.#handedOff(offer, accepted, started);
    } catch (err) {
      reason = err instanceof Error && /timeout|timed out/.test(err.message) ? "timeout" : "refused";
      o.log.debug({ err, player: id, region: o.roomId, to: offer.to }, "handoff not accepted");
    }
    // Not accepted (refused, slow or dead target). Fence the offer: move the record from our version
    // to a newer one of our own, so a late accept of this offer fails its compare-and-set.
    for (let attempt = 0; ; attempt++) {
      if (this.#fenced) return; // the region's new owner settles it with the record as it stands
      try {
        const kept = await o.ownership.move(id, o.roomId, offer.version, o.roomId);
        if (kept) return this.#kept(id, kept.version, reason);
        break;
      } catch (err) {
        // The ownership store is unreachable: keep the ship (simulated, inputs held) and retry.
        if (this.#closed || attempt > 20) throw err;
        await o.clock.sleep(o.handoffRetryMs);
      }
    }
    // The target did take it (its answer was lost or late): it is the owner; send the player there.
    o.metrics.handoffAborted(o.roomId, "lost");
    this.#handedOff(offer, null, started);
  }

  /** offering -> owned (aborted): the ship stays here at a newer version, no new offer for a while. */
  #kept(id: string, version: number, reason: HandoffAbort): void {
    const o = this.#o;
    o.metrics.handoffAborted(o.roomId, reason);
    const h = this.#held.get(id) ?? { phase: "owned", version, retryAt: 0 };
    this.#held.set(id, h);
    h.phase = "owned";
    h.version = version;
    h.retryAt = o.clock.now() + o.handoffRetryMs;
    // Its player left while the offer ran (and is not on its way here): it leaves the world now.
    if (!o.hooks.seated(id) && !h.arrival) this.#release(id);
  }

  /** offering -> gone: the target owns the ship; our copy stays visible as a ghost, the player follows. */
  #handedOff(offer: HandoffOffer, accepted: HandoffAccepted | null, started: number): void {
    const o = this.#o;
    const id = offer.ship.id;
    const last = o.sim.ships.get(id);
    o.sim.ships.delete(id);
    o.saver?.forget(id);
    // A player still on its way here with a seat is redirected to the new owner when it joins.
    this.#held.delete(id);
    if (last) o.ghosts.hold(offer.to, toGhost(last), o.clock.now());
    if (accepted) o.metrics.handoffCompleted(o.roomId, (performance.now() - started) / 1000);
    const redirect = accepted?.reservation
      ? { roomId: offer.to, reservation: accepted.reservation, address: accepted.address }
      : null;
    o.hooks.handedOff(id, offer.to, redirect, last?.name ?? offer.ship.name);
  }

  /** -> gone (left the world): saved one last time, the ownership record released. */
  #release(id: string): void {
    const o = this.#o;
    const ship = o.sim.ships.get(id);
    if (this.#fenced) {
      // Not ours to write any more: forget it here; the record and the store stay as they were.
      o.sim.ships.delete(id);
      this.#held.delete(id);
      o.saver?.forget(id);
      return;
    }
    if (ship) o.saver?.release(ship);
    o.sim.ships.delete(id);
    const version = this.#held.get(id)?.version;
    this.#held.delete(id);
    if (version !== undefined) {
      o.ownership.move(id, o.roomId, version, "").catch((err) => {
        o.log.warn({ err, player: id, region: o.roomId }, "could not release ship ownership");
      });
    }
  }
}
