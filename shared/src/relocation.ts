// Planned region moves (`zonectl move REGION ZONE`, `zonectl drain ZONE`): one order per region,
// a small state machine everyone involved advances with a compare-and-set on its state, and a
// channel that says "region X's order changed". Operators place orders; the source zone stops the
// region at a tick boundary and writes its final snapshot; the target takes the region over from
// the source under a higher epoch (RegionDirectory.transfer), restores that snapshot and reserves a
// seat for every restored ship; the source sends its players those seats (a `handoff` message, as
// at a border) and finishes. Two implementations with the same behaviour: in-process (tests) and
// Redis (cluster; zonectl reads and writes the same keys).
//
//   ordered  --source-->  stopped {epoch, tick}  --target-->  adopting  --target-->  adopted {newEpoch,
//   address, seats}  --source-->  done {players};  any step can end in failed {reason}.
import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";

export const RELOCATION_STATES = ["ordered", "stopped", "adopting", "adopted", "done", "failed"] as const;
export type RelocationState = (typeof RELOCATION_STATES)[number];

export interface RelocationOrder {
  /** Unique per order: a late actor of an older order never advances a newer one. */
  id: string;
  region: string;
  /** Zone ids (the process, not the slot name). */
  from: string;
  to: string;
  /** Who asked (operator name) and when (wall ms). */
  by: string;
  at: number;
  state: RelocationState;
  /** stopped: the source's epoch and the tick its final snapshot was taken at. */
  epoch?: number;
  tick?: number;
  /** adopted: the target's epoch, its address and a seat per restored ship (player id -> reservation). */
  newEpoch?: number;
  address?: string;
  seats?: Record<string, unknown>;
  /** done: players sent to the target. failed: why. */
  players?: number;
  reason?: string;
}

/** How long an order may live at most (a crashed operator or zone leaves nothing behind for longer). */
export const RELOCATION_TTL_MS = 60_000;

export interface RelocationBoard {
  /** Places `order` unless one is already under way for its region: null when placed, else the one in the way. */
  place(order: RelocationOrder): Promise<RelocationOrder | null>;
  get(region: string): Promise<RelocationOrder | null>;
  /**
   * Moves order `id` of `region` from state `from` to `patch.state` (merging the fields), only if it
   * is still there: the compare-and-set that makes each step happen once. Announces the change.
   */
  advance(
    region: string,
    id: string,
    from: RelocationState,
    patch: Partial<RelocationOrder> & { state: RelocationState },
  ): Promise<boolean>;
  /** Takes a finished order down (only that order). */
  clear(region: string, id: string): Promise<void>;
  /** Says again that `region`'s order changed (the channel is at most once: waiters repeat it). */
  announce(region: string): Promise<void>;
  /** Calls `listener` with the region whenever an order changes; resolves the unsubscribe. */
  watch(listener: (region: string) => void): Promise<() => Promise<void>>;
  /** A zone told to drain: no region moves to it and it takes none over. Kept `ttlMs`. */
  markDraining(zoneId: string, ttlMs: number): Promise<void>;
  draining(zoneId: string): Promise<boolean>;
}

const settled = (s: RelocationState) => s === "done" || s === "failed";
export const relocationSettled = settled;

export class LocalRelocationBoard implements RelocationBoard {
  readonly #orders = new Map<string, RelocationOrder>();
  readonly #draining = new Map<string, number>();
  readonly #events = new EventEmitter();

  async place(order: RelocationOrder) {
    const cur = this.#orders.get(order.region);
    if (cur && !settled(cur.state)) return structuredClone(cur);
    this.#orders.set(order.region, structuredClone(order));
    this.#events.emit("change", order.region);
    return null;
  }
  async get(region: string) {
    const o = this.#orders.get(region);
    return o ? structuredClone(o) : null;
  }
  async advance(region: string, id: string, from: RelocationState, patch: Partial<RelocationOrder>) {
    const cur = this.#orders.get(region);
    if (!cur || cur.id !== id || cur.state !== from) return false;
    this.#orders.set(region, { ...cur, ...structuredClone(patch) });
    queueMicrotask(() => this.#events.emit("change", region));
    return true;
  }
  async clear(region: string, id: string) {
    if (this.#orders.get(region)?.id === id) this.#orders.delete(region);
  }
  async announce(region: string) {
    this.#events.emit("change", region);
  }
  async watch(listener: (region: string) => void) {
    this.#events.on("change", listener);
    return async () => {
      this.#events.off("change", listener);
    };
  }
  async markDraining(zoneId: string, ttlMs: number) {
    this.#draining.set(zoneId, Date.now() + ttlMs);
  }
  async draining(zoneId: string) {
    return (this.#draining.get(zoneId) ?? 0) > Date.now();
  }
}

/** Redis key and channel names, under `prefix` (zonectl uses the same). */
export const relocationKeys = (prefix: string, region = "", zoneId = "") => ({
  order: `${prefix}relocation:${region}`,
  draining: `${prefix}zone:${zoneId}:draining`,
  channel: `${prefix}relocations`,
});

// KEYS[1] the order; ARGV[1] id, ARGV[2] expected state, ARGV[3] the new order (JSON), ARGV[4] channel, ARGV[5] region.
const ADVANCE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local o = cjson.decode(cur)
if o.id ~= ARGV[1] or o.state ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`;
// A settled order may be replaced; one under way may not.
const PLACE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local s = cjson.decode(cur).state
  if s ~= 'done' and s ~= 'failed' then return cur end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return false`;
const CLEAR = `
local cur = redis.call('GET', KEYS[1])
if cur and cjson.decode(cur).id == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

export class RedisRelocationBoard implements RelocationBoard {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "starlane:";
  }
  #k(region = "", zoneId = "") {
    return relocationKeys(this.#prefix, region, zoneId);
  }
  async place(order: RelocationOrder) {
    const k = this.#k(order.region);
    const raw = (await this.#redis.eval(
      PLACE,
      1,
      k.order,
      JSON.stringify(order),
      RELOCATION_TTL_MS,
      k.channel,
      order.region,
    )) as string | null;
    return raw ? (JSON.parse(raw) as RelocationOrder) : null;
  }
  async get(region: string) {
    const raw = await this.#redis.get(this.#k(region).order);
    return raw ? (JSON.parse(raw) as RelocationOrder) : null;
  }
  async advance(region: string, id: string, from: RelocationState, patch: Partial<RelocationOrder>) {
    const cur = await this.get(region);
    if (!cur || cur.id !== id || cur.state !== from) return false;
    const k = this.#k(region);
    // The script checks again: between the read and the write another actor may have moved it.
    const next = JSON.stringify({ ...cur, ...patch });
    return (await this.#redis.eval(ADVANCE, 1, k.order, id, from, next, k.channel, region)) === 1;
  }
  async clear(region: string, id: string) {
    await this.#redis.eval(CLEAR, 1, this.#k(region).order, id);
  }
  async announce(region: string) {
    await this.#redis.publish(this.#k().channel, region);
  }
  async watch(listener: (region: string) => void) {
    // A subscribed connection can do nothing else: one of its own, closed with the watch.
    const sub = this.#redis.duplicate();
    const channel = this.#k().channel;
    sub.on("message", (ch: string, region: string) => {
      if (ch === channel) listener(region);
    });
    await sub.subscribe(channel);
    return async () => {
      await sub.quit().catch(() => sub.disconnect());
    };
  }
  async markDraining(zoneId: string, ttlMs: number) {
    await this.#redis.set(this.#k("", zoneId).draining, "1", "PX", Math.ceil(ttlMs));
  }
  async draining(zoneId: string) {
    return (await this.#redis.exists(this.#k("", zoneId).draining)) === 1;
  }
}
