// The write-behind consumer: read a batch, move malformed entries aside, write the rest in one
// transaction, acknowledge only after COMMIT. Whatever fails before the acknowledgement leaves the
// entries in the stream to be retried (by us, or by another instance once they go idle), and the
// versioned upsert makes applying an entry twice harmless.
import { randomBytes } from "node:crypto";
import type { InProcessShipQueue, Logger, Registry, ShipState } from "@starlane/shared";
import type { Redis } from "ioredis";
import type pg from "pg";
import { type ConsumerConfig, consumerDefaults } from "./config.js";
import { createPersistenceMetrics, type PersistenceMetrics } from "./metrics.js";
import { writeShipBatch } from "./ships.js";
import type { ShipSource, SourceEntry } from "./source.js";
import { createQueueShipSource } from "./source-queue.js";
import { createRedisShipSource } from "./source-redis.js";

export interface PersistenceDeps {
  pool: pg.Pool;
  log: Logger;
  registry: Registry;
  /** Cluster mode: consume the Redis Stream. */
  redis?: Redis;
  /** Embedded mode: drain the in-process queue. */
  queue?: InProcessShipQueue;
}

export interface Persistence {
  /** Creates the consumer group if needed and starts consuming in the background. */
  start(): Promise<void>;
  /** Stops reading, finishes the batch in hand (retrying until the stop timeout), then returns. */
  stop(): Promise<void>;
  /** One read-write-acknowledge round, for tests that drive the consumer themselves. */
  step(blockMs?: number): Promise<number>;
  /** Null when consuming normally, else why not (for /readyz). */
  notReadyReason(): string | null;
  readonly metrics: PersistenceMetrics;
  readonly consumer: string;
}

class StopTimeout extends Error {
  override name = "StopTimeout";
}

// Data errors will fail the same way on every retry: isolate the entry instead of retrying forever.
const isDataError = (err: unknown) => /^(22|23)/.test((err as { code?: string }).code ?? "");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createPersistence(deps: PersistenceDeps, options: Partial<ConsumerConfig> = {}): Persistence {
  const config = { ...consumerDefaults, ...options };
  const consumer = options.consumer ?? `persistence-${randomBytes(4).toString("hex")}`;
  const log = deps.log.child({ consumer });
  const metrics = createPersistenceMetrics(deps.registry);
  let source: ShipSource;
  if (deps.redis) {
    source = createRedisShipSource(deps.redis, { prefix: config.keyPrefix, consumer, claimIdleMs: config.claimIdleMs });
  } else if (deps.queue) {
    source = createQueueShipSource(deps.queue, log);
  } else {
    throw new Error("createPersistence: give either deps.redis (cluster) or deps.queue (embedded)");
  }

  let running = false;
  let loop: Promise<void> | undefined;
  let stopDeadline = Number.POSITIVE_INFINITY;
  let dbFailure: string | null = null;

  const pause = (ms: number) => sleep(Math.max(0, Math.min(ms, stopDeadline - Date.now())));

  /** Writes `entries` one at a time; an entry PostgreSQL refuses as bad data is dead-lettered. */
  async function writeEach(entries: SourceEntry[]): Promise<SourceEntry[]> {
    const written: SourceEntry[] = [];
    for (const e of entries) {
      try {
        record(await timed([e.state!]), 1);
        written.push(e);
      } catch (err) {
        if (!isDataError(err)) throw err;
        const reason = `refused by PostgreSQL: ${(err as Error).message}`;
        await source.deadLetter([{ entry: e, reason }]);
        metrics.deadLettered.inc();
        log.warn({ entry: e.id, reason }, "ship state moved to the dead-letter stream");
      }
    }
    return written;
  }

  async function timed(states: ShipState[]) {
    const end = metrics.commitSeconds.startTimer();
    const outcome = await writeShipBatch(deps.pool, states);
    end();
    return outcome;
  }

  function record(o: { applied: number; stale: number; superseded: number }, size: number): void {
    metrics.batchSize.observe(size);
    metrics.rowsWritten.inc(o.applied);
    metrics.superseded.inc(o.superseded);
    if (o.stale > 0) {
      metrics.staleRejected.inc(o.stale);
      log.warn({ stale: o.stale }, "refused ship states from a writer whose region epoch is stale");
    }
  }

  /** Commits the batch, retrying with backoff while PostgreSQL is unavailable. Returns what to ack. */
  async function commit(entries: SourceEntry[]): Promise<string[]> {
    let delay = 50;
    let oneByOne = false;
    for (let attempt = 1; ; attempt++) {
      try {
        if (oneByOne) return (await writeEach(entries)).map((e) => e.id);
        record(await timed(entries.map((e) => e.state!)), entries.length);
        if (dbFailure) log.info({ attempts: attempt }, "PostgreSQL is back; batch committed");
        dbFailure = null;
        return entries.map((e) => e.id);
      } catch (err) {
        if (isDataError(err) && !oneByOne) {
          oneByOne = true;
          attempt--;
          continue;
        }
        metrics.dbErrors.inc();
        dbFailure = (err as Error).message;
        if (attempt === 1 || attempt % 20 === 0) {
          log.warn(
            { err: dbFailure, attempt, entries: entries.length },
            "batch write failed; retrying, nothing acknowledged",
          );
        }
        if (Date.now() >= stopDeadline) throw new StopTimeout("stop timeout reached with a batch uncommitted");
        await pause(delay);
        delay = Math.min(delay * 2, config.maxRetryMs);
        await source.keepAlive(entries.map((e) => e.id)).catch(() => {});
      }
    }
  }

  async function step(blockMs = config.blockMs): Promise<number> {
    const { entries, reclaimed } = await source.read(config.batchSize, blockMs);
    if (reclaimed > 0) {
      metrics.reclaimed.inc(reclaimed);
      log.info({ reclaimed }, "took over entries left pending by another consumer");
    }
    if (entries.length > 0) {
      const bad = entries.filter((e) => !e.state);
      if (bad.length > 0) {
        await source.deadLetter(bad.map((entry) => ({ entry, reason: entry.reason! })));
        metrics.deadLettered.inc(bad.length);
        log.warn({ count: bad.length, first: bad[0]!.reason }, "malformed ship states moved to the dead-letter stream");
      }
      const good = entries.filter((e) => e.state);
      if (good.length > 0) {
        const ids = await commit(good);
        // After COMMIT. If this fails the entries are written again later, which changes nothing.
        await source.ack(ids);
      }
    }
    metrics.streamLag.set(await source.lag());
    return entries.length;
  }

  async function run(): Promise<void> {
    let delay = 50;
    while (running) {
      try {
        await step();
        delay = 50;
      } catch (err) {
        if (err instanceof StopTimeout) {
          log.error("stopping with a batch uncommitted: its entries stay pending for another consumer");
          return;
        }
        log.warn({ err: (err as Error).message }, "consumer round failed; retrying");
        await pause(delay);
        delay = Math.min(delay * 2, config.maxRetryMs);
      }
    }
  }

  return {
    metrics,
    consumer,
    step,
    async start() {
      if (running) return;
      await source.init();
      running = true;
      loop = run();
      log.info({ batchSize: config.batchSize }, "persistence consumer started");
    },
    async stop() {
      stopDeadline = Date.now() + config.stopTimeoutMs;
      running = false;
      // The batch in hand gets until the stop timeout; a read or acknowledgement stuck on an
      // unreachable Redis does not hold the shutdown beyond it (those entries stay pending).
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        (loop ?? Promise.resolve()).then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), config.stopTimeoutMs + config.blockMs + 1000))),
      ]);
      clearTimeout(timer);
      if (!finished)
        log.error("consumer still busy at the stop timeout; its entries stay pending for another consumer");
      await source.close();
    },
    notReadyReason() {
      if (!running) return "consumer not running";
      return dbFailure ? `PostgreSQL writes failing: ${dbFailure}` : null;
    },
  };
}
