// The cluster's source: a Redis Stream read through a consumer group, so several persistence
// instances share it. Entries a dead consumer left pending are taken over with XAUTOCLAIM once idle
// longer than `claimIdleMs`; acknowledged entries are deleted so the stream stays short.
import { decodeShipEntry, writeBehindKeys } from "@starlane/shared";
import type { Redis } from "ioredis";
import type { ShipSource, SourceEntry } from "./source.js";

export interface RedisSourceOptions {
  prefix: string;
  consumer: string;
  claimIdleMs: number;
}

type RawEntry = [id: string, fields: string[] | null];

function toEntry([id, fields]: RawEntry): SourceEntry {
  const raw = JSON.stringify(fields ?? []);
  const v = decodeShipEntry(fields ?? []);
  return v.ok ? { id, state: v.state, raw } : { id, reason: v.reason, raw };
}

export function createRedisShipSource(redis: Redis, options: RedisSourceOptions): ShipSource {
  const { stream, group, deadLetter } = writeBehindKeys(options.prefix);
  const { consumer, claimIdleMs } = options;
  // A blocking XREADGROUP holds its connection; acks and claims go on the shared one.
  const reader = redis.duplicate();
  reader.on("error", () => {});
  let claimCursor = "0-0";
  let nextClaimAt = 0;

  async function reclaim(max: number): Promise<SourceEntry[]> {
    const [cursor, entries, deleted] = (await redis.xautoclaim(
      stream,
      group,
      consumer,
      claimIdleMs,
      claimCursor,
      "COUNT",
      max,
    )) as [string, RawEntry[], string[]];
    claimCursor = cursor;
    // A full page may mean more is waiting: look again on the next read. Otherwise rest a while.
    if (cursor === "0-0") nextClaimAt = Date.now() + Math.max(100, claimIdleMs / 4);
    if (deleted?.length) await redis.xack(stream, group, ...deleted);
    return entries.filter(([, fields]) => fields !== null).map(toEntry);
  }

  return {
    async init() {
      try {
        // From the start of the stream: zones may publish before the first consumer exists.
        await redis.xgroup("CREATE", stream, group, "0", "MKSTREAM");
      } catch (err) {
        if (!String((err as Error).message).includes("BUSYGROUP")) throw err;
      }
    },
    async read(max, blockMs) {
      if (Date.now() >= nextClaimAt) {
        const claimed = await reclaim(max);
        if (claimed.length > 0) return { entries: claimed, reclaimed: claimed.length };
      }
      const res = (await reader.xreadgroup(
        "GROUP",
        group,
        consumer,
        "COUNT",
        max,
        "BLOCK",
        blockMs,
        "STREAMS",
        stream,
        ">",
      )) as [string, RawEntry[]][] | null;
      return { entries: (res?.[0]?.[1] ?? []).map(toEntry), reclaimed: 0 };
    },
    async ack(ids) {
      if (ids.length === 0) return;
      const res = await redis
        .multi()
        .xack(stream, group, ...ids)
        .xdel(stream, ...ids)
        .exec();
      const failed = res?.find(([err]) => err);
      if (!res || failed) throw failed?.[0] ?? new Error("XACK transaction aborted");
    },
    async deadLetter(items) {
      if (items.length === 0) return;
      const tx = redis.multi();
      for (const { entry, reason } of items) {
        tx.xadd(deadLetter, "*", "id", entry.id, "reason", reason, "entry", entry.raw);
      }
      const ids = items.map((i) => i.entry.id);
      tx.xack(stream, group, ...ids).xdel(stream, ...ids);
      const res = await tx.exec();
      const failed = res?.find(([err]) => err);
      if (!res || failed) throw failed?.[0] ?? new Error("dead-letter transaction aborted");
    },
    async keepAlive(ids) {
      // Re-claiming for ourselves with min-idle 0 resets the idle time other consumers look at.
      if (ids.length > 0) await redis.xclaim(stream, group, consumer, 0, ...ids, "JUSTID");
    },
    lag: () => redis.xlen(stream),
    async close() {
      reader.disconnect();
    },
  };
}
