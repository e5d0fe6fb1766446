// What the live-move tests share (relocate-move-cluster, relocate-drain-cluster): zone processes
// (test/zone-node.ts) under one test prefix per test, SDK bots, `zonectl` run as an operator runs it,
// and the checks every move must pass. Registers its own before/after (zones quit, keys deleted).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { connectRedis, type StoredShip } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { type Bot, counter, type SdkRoom, ship, startNode, type ZoneNode } from "./cluster.js";
import { testTokens } from "./tokens.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const ZONECTL = join(ROOT, "infra/zonectl/zonectl.ts");
export const tokens = await testTokens();
const dir = mkdtempSync(join(tmpdir(), "starlane-mv-"));
export let redis: Redis;
const nodes: ZoneNode[] = [];
const prefixes: string[] = [];

before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
});

after(async () => {
  await Promise.all(nodes.map((n) => n.quit()));
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** `zonectl` as an operator runs it, against this test's prefix (no cluster folder: no PM2). Not blocking. */
export function zonectl(prefix: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", ZONECTL, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        STARLANE_CLUSTER_DIR: dir,
        REDIS_URL: TEST_REDIS_URL,
        STARLANE_KEY_PREFIX: prefix,
        ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

export { ship };

/** A loop inside region (col, row) of the 4 x 4 world of 2000-unit regions. */
export const loopIn = (col: number, row: number) =>
  [
    [600, 600],
    [1400, 600],
    [1400, 1400],
    [600, 1400],
  ].map(([x, y]) => ({ x: col * 2000 + x!, y: row * 2000 + y! }));

/**
 * Watches the bots every 5 ms: connections lost without the bot leaving them itself (ShipLink leaves
 * the old room only after switching), and the acknowledged sequence going back (inputs the old
 * owner applied after its final snapshot would be lost: the new owner's ship would not have them).
 */
export function watchBots(bots: Bot[]) {
  const seen = new Set<SdkRoom>();
  const lost: string[] = [];
  const regressed: string[] = [];
  const maxAck = new Map<string, number>();
  const timer = setInterval(() => {
    for (const b of bots) {
      const room = b.link.room;
      if (!b.link.switching && b.link.ack > 0) {
        const before = maxAck.get(b.id) ?? 0;
        if (b.link.ack < before) regressed.push(`${b.id}: ack ${before} -> ${b.link.ack}`);
        maxAck.set(b.id, Math.max(before, b.link.ack));
      }
      if (seen.has(room)) continue;
      seen.add(room);
      room.onLeave((code) => {
        if (b.link.room === room) lost.push(`${b.id} (${code})`);
      });
    }
  }, 5);
  return { lost, regressed, stop: () => clearInterval(timer) };
}

export async function startZones(prefix: string, zones: [string, string][], ships: StoredShip[], watch: string[]) {
  // zone-node's long lease and no takeover: on a loaded machine a zone stalled past a short lease
  // would lose its regions to a takeover mid-test, and the moves here are planned, not failovers.
  const env = { STARLANE_ZONE_SNAPSHOT_MS: "250" };
  const started = await Promise.all(
    zones.map(([name, regions]) =>
      startNode({ prefix, regions, jwks: tokens.jwks, ships, watch, env: { ...env, STARLANE_ZONE_NAME: name } }),
    ),
  );
  nodes.push(...started);
  return started;
}

/** Stops the bots, waits until every input sent is acknowledged, and checks the invariants on `zones`. */
export async function settle(bots: Bot[], zones: ZoneNode[]) {
  for (const b of bots) b.stop();
  await waitFor("every input acknowledged", () => bots.every((b) => b.link.ack === b.sent), 20_000);
  const stats = await Promise.all(zones.map((z) => z.stats()));
  const applied = stats.reduce((n, s) => n + counter(s.metrics, "starlane_zone_inputs_applied_total"), 0);
  const sent = bots.reduce((n, b) => n + b.sent, 0);
  assert.equal(applied, sent, "every input applied exactly once across the zones");
  for (const s of stats) {
    assert.equal(s.two, 0, s.detail.join("\n"));
    assert.equal(s.none, 0, s.detail.join("\n"));
    assert.ok(s.samples > 10, "the ownership detector sampled");
  }
  // No two processes ever ticked one region at the same time (each process's ticks, by epoch).
  const acted = stats.flatMap((s, i) => s.acted.map((a) => ({ ...a, zone: i })));
  for (const a of acted)
    for (const b of acted)
      if (a.region === b.region && a.zone !== b.zone && a.epoch < b.epoch)
        assert.ok(a.last < b.first, `${a.region}: epoch ${a.epoch} ticked until ${a.last}, ${b.epoch} from ${b.first}`);
  return stats;
}

/** A Redis key prefix for one test, deleted afterwards. */
export function freshPrefix(): string {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  return prefix;
}
