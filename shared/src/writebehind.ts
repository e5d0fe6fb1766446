// The write-behind contract between zones and the persistence service. A zone publishes the latest
// state of each changed ship; persistence writes it to PostgreSQL in batches. Publishing never
// waits on anything: the tick hands the state over and moves on.
//
// Ordering and safety come from the entry itself, not from delivery: `version` only grows per ship
// (a late or replayed entry never overwrites a newer row) and `epoch` is the writer's ownership
// epoch for `region` (a zone that lost the region is rejected by the store).
import type { Redis } from "ioredis";
import { PERSISTED_FIELDS, type PersistedShip, SHIP_FIELDS } from "./ship.js";

/** How often a zone publishes its changed ships, unless it leaves, hands off or shuts down first. */
export const DEFAULT_PUBLISH_INTERVAL_MS = 1000;

/** The write-behind entry: a ship's persisted fields (see SHIP_FIELDS in ship.ts) with its versions and fence. */
export interface ShipState extends PersistedShip {
  /** The account id (text, usually a uuid): the ship's `id`. */
  playerId: string;
  /** `region-<col>-<row>` */
  region: string;
  /** Grows on every publish of this ship (use nextShipVersion); carried across handoff and failover. */
  version: number;
  /** The writer's ownership epoch for `region`. */
  epoch: number;
  /**
   * How many trades and sales the zone's credits and cargo already include (from `load()` or the
   * last trade result). When it is behind the store, the store keeps its own credits and cargo and
   * takes only the rest, so a write-behind entry never undoes a committed trade. Defaults to 0.
   */
  ledgerVersion?: number;
}

/**
 * The version for a ship's next publish: one more than the last, and never behind the clock. A zone
 * that loads a ship (join, failover) may not see entries still in flight from its previous session;
 * clock-based versions keep the new session's writes newer than those anyway.
 */
export function nextShipVersion(previous: number, now = Date.now()): number {
  return Math.max(previous + 1, now);
}

/** Stream, consumer group and dead-letter names. `prefix` isolates tests and deployments. */
export interface WriteBehindKeys {
  stream: string;
  group: string;
  deadLetter: string;
}

export const DEFAULT_KEY_PREFIX = "starlane:";

export function writeBehindKeys(prefix = DEFAULT_KEY_PREFIX): WriteBehindKeys {
  return { stream: `${prefix}ships`, group: "persistence", deadLetter: `${prefix}ships:dead` };
}

/** The one field of a stream entry: the ship state as JSON. */
export const SHIP_FIELD = "ship";

const MAX_ID = 128;
const MAX_NAME = 64;
const REGION = /^region-\d{1,4}-\d{1,4}$/;
// PostgreSQL keeps cargo, credits, versions and epochs as bigint; JS numbers are exact up to 2^53.
const isWhole = (v: unknown, min = 0): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isCoord = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= 1e9;

export type Validation = { ok: true; state: ShipState } | { ok: false; reason: string };

/** Checks an untrusted value is a ShipState; the reason names the first bad field. */
export function validateShipState(value: unknown): Validation {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "not an object" };
  }
  const v = value as Record<string, unknown>;
  const bad = (field: string, want: string): Validation => ({ ok: false, reason: `${field}: expected ${want}` });
  if (typeof v.playerId !== "string" || v.playerId.length === 0 || v.playerId.length > MAX_ID) {
    return bad("playerId", `a string of 1-${MAX_ID} characters`);
  }
  if (typeof v.name !== "string" || v.name.length > MAX_NAME)
    return bad("name", `a string of 0-${MAX_NAME} characters`);
  if (typeof v.region !== "string" || !REGION.test(v.region)) return bad("region", "region-<col>-<row>");
  for (const f of PERSISTED_FIELDS) {
    const kind = SHIP_FIELDS[f].kind;
    if (v[f] === undefined && "optional" in SHIP_FIELDS[f]) continue;
    if (kind === "real" && !isCoord(v[f])) return bad(f, "a finite number");
    if (kind === "whole" && !isWhole(v[f])) return bad(f, "a whole number >= 0");
  }
  if (!isWhole(v.epoch)) return bad("epoch", "a whole number >= 0");
  if (!isWhole(v.version, 1)) return bad("version", "a whole number >= 1");
  if (v.ledgerVersion !== undefined && !isWhole(v.ledgerVersion)) return bad("ledgerVersion", "a whole number >= 0");
  const state = { playerId: v.playerId, region: v.region } as ShipState;
  for (const f of PERSISTED_FIELDS) {
    if (f !== "id")
      (state as unknown as Record<string, unknown>)[f] = v[f] ?? ("optional" in SHIP_FIELDS[f] ? 0 : v[f]);
  }
  state.version = v.version as number;
  state.epoch = v.epoch as number;
  state.ledgerVersion = (v.ledgerVersion as number | undefined) ?? 0;
  return { ok: true, state };
}

/** Decodes the field/value list of a stream entry (as XREADGROUP returns it). */
export function decodeShipEntry(fields: string[]): Validation {
  const i = fields.indexOf(SHIP_FIELD);
  if (i < 0 || i % 2 !== 0 || fields[i + 1] === undefined) return { ok: false, reason: `no "${SHIP_FIELD}" field` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(fields[i + 1]!);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  return validateShipState(parsed);
}

export interface PublisherStats {
  /** Ships whose latest state is waiting to be handed over. */
  buffered: number;
  /** States handed over (XADD acknowledged by Redis, or queued in process). */
  published: number;
  /** States replaced in the buffer by a newer version of the same ship before being sent. */
  coalesced: number;
  /** States dropped because the buffer was full (the ship's next publish carries it again). */
  dropped: number;
  /** Failed attempts to hand over a batch (Redis unreachable); the states stay buffered. */
  failures: number;
}

/**
 * What a zone calls. `publish` returns at once and never throws for a store problem; `flush`
 * (leave, handoff, shutdown) resolves when everything published so far has been handed over, or
 * rejects after `timeoutMs` with the states still buffered.
 */
export interface ShipStatePublisher {
  publish(state: ShipState): void;
  flush(timeoutMs?: number): Promise<void>;
  stats(): PublisherStats;
  /** Stops the background sender (after a flush, if you want nothing left behind). */
  close(): void;
}

export class FlushTimeoutError extends Error {
  override name = "FlushTimeoutError";
}

export interface RedisPublisherOptions {
  prefix?: string;
  /** Most ships buffered at once; beyond it new ships are dropped and counted. */
  maxBuffered?: number;
  /** Entries per pipelined XADD round. */
  batch?: number;
  /** First retry delay after a failure; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

// Only the latest state of a ship matters (a newer version supersedes the older entirely), so the
// buffer keeps one state per ship: bounded by the number of ships, never by the publish rate.
class LatestPerShip {
  readonly map = new Map<string, ShipState>();
  readonly counts: PublisherStats = { buffered: 0, published: 0, coalesced: 0, dropped: 0, failures: 0 };
  constructor(private readonly max: number) {}

  put(state: ShipState): boolean {
    const prev = this.map.get(state.playerId);
    if (prev) {
      if (prev.version >= state.version) return true;
      this.counts.coalesced++;
    } else if (this.map.size >= this.max) {
      this.counts.dropped++;
      return false;
    }
    this.map.set(state.playerId, state);
    return true;
  }

  /** Removes `sent` unless a newer version of the same ship arrived meanwhile. */
  settle(sent: ShipState[]): void {
    for (const s of sent) if (this.map.get(s.playerId) === s) this.map.delete(s.playerId);
    this.counts.published += sent.length;
  }

  stats(): PublisherStats {
    return { ...this.counts, buffered: this.map.size };
  }
}

/** Publishes to a Redis Stream from a background loop; the caller's tick never waits on Redis. */
export function createRedisShipPublisher(redis: Redis, options: RedisPublisherOptions = {}): ShipStatePublisher {
  const { stream } = writeBehindKeys(options.prefix);
  const batchSize = options.batch ?? 500;
  const retryMs = options.retryMs ?? 50;
  const maxRetryMs = options.maxRetryMs ?? 2000;
  const buffer = new LatestPerShip(options.maxBuffered ?? 100_000);
  let sending: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = retryMs;
  let closed = false;
  const idle: (() => void)[] = [];

  async function sendAll(): Promise<void> {
    while (buffer.map.size > 0 && !closed) {
      const chunk = [...buffer.map.values()].slice(0, batchSize);
      const pipeline = redis.pipeline();
      for (const s of chunk) pipeline.xadd(stream, "*", SHIP_FIELD, JSON.stringify(s));
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error("pipeline aborted");
      buffer.settle(chunk);
    }
  }

  function kick(): void {
    if (sending || retryTimer || closed) return;
    sending = sendAll().then(
      () => {
        sending = undefined;
        delay = retryMs;
        if (buffer.map.size === 0) for (const wake of idle.splice(0)) wake();
        else kick();
      },
      () => {
        sending = undefined;
        buffer.counts.failures++;
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          kick();
        }, delay);
        retryTimer.unref();
        delay = Math.min(delay * 2, maxRetryMs);
      },
    );
  }

  return {
    publish(state) {
      if (closed) return;
      buffer.put(state);
      // Sending starts on the next turn of the event loop, so a tick that publishes many ships
      // hands them over in one pipelined round.
      if (!sending && !retryTimer) queueMicrotask(kick);
    },
    flush(timeoutMs = 5000) {
      if (buffer.map.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = idle.indexOf(done);
          if (i >= 0) idle.splice(i, 1);
          reject(
            new FlushTimeoutError(`write-behind flush: ${buffer.map.size} ships still buffered after ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        idle.push(done);
        // A flush is an explicit request: retry now rather than after the back-off.
        if (retryTimer) {
          clearTimeout(retryTimer);
          retryTimer = undefined;
        }
        kick();
      });
    },
    stats: () => buffer.stats(),
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
    },
  };
}

export interface QueuedShip {
  id: string;
  state: ShipState;
}

/**
 * The embedded mode's stream: zones publish into it, the in-process persistence consumer drains
 * it. Entries taken are held until acknowledged, so a failed database write loses nothing.
 */
export interface InProcessShipQueue extends ShipStatePublisher {
  /** Up to `max` entries: those taken and not yet acknowledged first, then new ones. */
  take(max: number): QueuedShip[];
  ack(ids: string[]): void;
  /** Entries published and not yet acknowledged. */
  lag(): number;
  /** Resolves when something is published (or after `ms`). */
  wait(ms: number): Promise<void>;
}

export function createInProcessShipQueue(options: { maxBuffered?: number } = {}): InProcessShipQueue {
  const buffer = new LatestPerShip(options.maxBuffered ?? 100_000);
  const inFlight = new Map<string, ShipState>();
  let seq = 0;
  let waiters: (() => void)[] = [];
  const flushers: (() => void)[] = [];
  let closed = false;

  const settled = () => {
    if (buffer.map.size === 0 && inFlight.size === 0) for (const f of flushers.splice(0)) f();
  };

  return {
    publish(state) {
      if (closed || !buffer.put(state)) return;
      for (const w of waiters) w();
      waiters = [];
    },
    take(max) {
      const out: QueuedShip[] = [];
      for (const [id, state] of inFlight) {
        if (out.length >= max) return out;
        out.push({ id, state });
      }
      for (const state of buffer.map.values()) {
        if (out.length >= max) break;
        const id = String(++seq);
        inFlight.set(id, state);
        buffer.map.delete(state.playerId);
        out.push({ id, state });
      }
      return out;
    },
    ack(ids) {
      const done: ShipState[] = [];
      for (const id of ids) {
        const s = inFlight.get(id);
        if (s && inFlight.delete(id)) done.push(s);
      }
      buffer.counts.published += done.length;
      settled();
    },
    lag: () => buffer.map.size + inFlight.size,
    wait(ms) {
      if (buffer.map.size > 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          waiters = waiters.filter((w) => w !== done);
          resolve();
        }
        waiters.push(done);
      });
    },
    // In process, "handed over" means written: flush waits for the consumer to commit.
    flush(timeoutMs = 5000) {
      if (buffer.map.size === 0 && inFlight.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = flushers.indexOf(done);
          if (i >= 0) flushers.splice(i, 1);
          reject(new FlushTimeoutError(`write-behind flush: ${buffer.map.size + inFlight.size} ships not yet written`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        flushers.push(done);
      });
    },
    stats: () => ({ ...buffer.stats(), buffered: buffer.map.size + inFlight.size }),
    close() {
      closed = true;
    },
  };
}
