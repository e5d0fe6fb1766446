// Region snapshots: what a zone taking over a dead, frozen or cut-off zone's region restores from.
// Each region's owner writes one every STARLANE_ZONE_SNAPSHOT_MS: its ships (with the last input
// sequence applied to each, so re-sent inputs apply at most once) and its asteroids' ore, with a
// format version. The store keeps the newest per region and refuses a snapshot carrying an older
// epoch than the one it holds or than the directory has issued for the region, so a previous owner
// that wakes up cannot overwrite the new owner's. Two implementations with the same behaviour:
// in-process for the embedded mode and tests, Redis for the cluster (one suite over both).
import type { Redis } from "ioredis";
import { type LocalRegionDirectory, regionKeys } from "./regions.js";
import type { Ship } from "./ship.js";

/** The format this build writes and reads. A zone refuses any other (rolling upgrades: see the zone README). */
export const SNAPSHOT_FORMAT = 1;

/** A ship as a snapshot keeps it: the simulation's record plus where its persistence versions stand. */
export interface SnapshotShip extends Ship {
  /** The write-behind version of its last publish (the restored ship's next one supersedes it). */
  version: number;
  /** How many ledger operations its credits and cargo include. */
  ledgerVersion: number;
}

export interface RegionSnapshot {
  format: number;
  region: string;
  /** The writer's ownership epoch. */
  epoch: number;
  /** The region's simulation tick when taken. */
  tick: number;
  /** Wall clock (ms) when taken: only reported (snapshot age), never compared across processes. */
  takenAt: number;
  ships: SnapshotShip[];
  /** Ore left per asteroid id. */
  ore: Record<string, number>;
}

/** A stored snapshot of a format this build does not know (written by a newer or older zone). */
export class SnapshotFormatError extends Error {
  override name = "SnapshotFormatError";
  constructor(
    readonly region: string,
    readonly format: unknown,
  ) {
    super(`region ${region}: snapshot format ${JSON.stringify(format)} is not ${SNAPSHOT_FORMAT}; not restored`);
  }
}

export interface RegionSnapshots {
  /**
   * Stores `snapshot` as its region's newest, and says how many bytes it took. `stored` is false
   * (nothing stored) when the region's stored snapshot or issued epoch is newer than
   * `snapshot.epoch`: the writer lost the region.
   */
  save(snapshot: RegionSnapshot): Promise<{ stored: boolean; bytes: number }>;
  /**
   * The region's newest snapshot, null when there is none. Rejects with SnapshotFormatError when it
   * is of another format.
   */
  load(region: string): Promise<RegionSnapshot | null>;
}

/** Encodes a snapshot for a store (compact JSON: a few hundred bytes per ship). */
export const encodeSnapshot = (s: RegionSnapshot): string => JSON.stringify(s);

/** Decodes a stored snapshot, refusing one of another format. */
export function decodeSnapshot(region: string, raw: string): RegionSnapshot {
  const s = JSON.parse(raw) as Partial<RegionSnapshot>;
  if (s?.format !== SNAPSHOT_FORMAT) throw new SnapshotFormatError(region, s?.format);
  return s as RegionSnapshot;
}

/**
 * In-process store (embedded mode, tests). Given the in-process directory it also refuses epochs
 * older than the directory has issued, as the Redis one does.
 */
export class LocalRegionSnapshots implements RegionSnapshots {
  readonly #stored = new Map<string, { epoch: number; raw: string }>();

  constructor(private readonly directory?: LocalRegionDirectory) {}

  async save(snapshot: RegionSnapshot): Promise<{ stored: boolean; bytes: number }> {
    const raw = encodeSnapshot(snapshot);
    const bytes = Buffer.byteLength(raw);
    const cur = this.#stored.get(snapshot.region);
    const issued = this.directory?.issued(snapshot.region) ?? 0;
    if ((cur && cur.epoch > snapshot.epoch) || issued > snapshot.epoch) return { stored: false, bytes };
    this.#stored.set(snapshot.region, { epoch: snapshot.epoch, raw });
    return { stored: true, bytes };
  }

  async load(region: string): Promise<RegionSnapshot | null> {
    const cur = this.#stored.get(region);
    return cur ? decodeSnapshot(region, cur.raw) : null;
  }

  /** Stores raw bytes as the region's snapshot (tests: a snapshot of another format). */
  putRaw(region: string, epoch: number, raw: string): void {
    this.#stored.set(region, { epoch, raw });
  }
}

// KEYS[1] snapshot hash (epoch, data), KEYS[2] the region's epoch counter (regions.ts).
// ARGV[1] epoch, ARGV[2] encoded snapshot. 1 stored, 0 refused as stale.
const SAVE = `
local e = tonumber(ARGV[1])
local cur = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local issued = tonumber(redis.call('GET', KEYS[2]) or '0')
if e < cur or e < issued then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'data', ARGV[2])
return 1`;

/** Redis key of a region's snapshot, under `prefix`. */
export const snapshotKey = (prefix: string, region: string) => `${prefix}region:${region}:snapshot`;

/** Redis store (cluster): the epoch check and the write are one script. The caller owns the connection. */
export class RedisRegionSnapshots implements RegionSnapshots {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? "starlane:";
  }

  async save(snapshot: RegionSnapshot): Promise<{ stored: boolean; bytes: number }> {
    const raw = encodeSnapshot(snapshot);
    const k = snapshotKey(this.#prefix, snapshot.region);
    const epochKey = regionKeys(this.#prefix, snapshot.region).epoch;
    const stored = (await this.#redis.eval(SAVE, 2, k, epochKey, snapshot.epoch, raw)) === 1;
    return { stored, bytes: Buffer.byteLength(raw) };
  }

  async load(region: string): Promise<RegionSnapshot | null> {
    const raw = await this.#redis.hget(snapshotKey(this.#prefix, region), "data");
    return raw === null ? null : decodeSnapshot(region, raw);
  }

  /** Stores raw bytes as the region's snapshot (tests: a snapshot of another format). */
  async putRaw(region: string, epoch: number, raw: string): Promise<void> {
    await this.#redis.hset(snapshotKey(this.#prefix, region), "epoch", epoch, "data", raw);
  }
}
