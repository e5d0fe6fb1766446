import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import { TEST_REDIS_URL, testRedisPrefix } from "./testing.js";
import {
  createInProcessShipQueue,
  createRedisShipPublisher,
  decodeShipEntry,
  FlushTimeoutError,
  nextShipVersion,
  SHIP_FIELD,
  type ShipState,
  validateShipState,
  writeBehindKeys,
} from "./writebehind.js";

const ship = (playerId: string, version: number, extra: Partial<ShipState> = {}): ShipState => ({
  playerId,
  name: `pilot ${playerId}`,
  region: "region-1-2",
  x: 10.5,
  y: -3,
  vx: 1,
  vy: 0,
  heading: 1.57,
  hull: 100,
  cargo: 4,
  credits: 250,
  version,
  epoch: 3,
  ...extra,
});

const redis = new Redis(TEST_REDIS_URL);

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
const prefixes: string[] = [];
after(async () => {
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

test("a valid ship state passes; each bad field is named", () => {
  const ok = validateShipState(ship("p1", 1));
  assert.ok(ok.ok);
  assert.equal(ok.state.ledgerVersion, 0, "ledgerVersion defaults to 0");
  const cases: [Partial<Record<keyof ShipState, unknown>>, string][] = [
    [{ playerId: "" }, "playerId"],
    [{ region: "mars" }, "region"],
    [{ x: Number.NaN }, "x"],
    [{ vy: "fast" }, "vy"],
    [{ cargo: -1 }, "cargo"],
    [{ credits: 1.5 }, "credits"],
    [{ version: 0 }, "version"],
    [{ epoch: 2 ** 60 }, "epoch"],
    [{ ledgerVersion: -2 }, "ledgerVersion"],
  ];
  for (const [bad, field] of cases) {
    const v = validateShipState({ ...ship("p1", 1), ...bad });
    assert.equal(v.ok, false, field);
    assert.match((v as { reason: string }).reason, new RegExp(`^${field}:`));
  }
  assert.deepEqual(validateShipState(null), { ok: false, reason: "not an object" });
  assert.deepEqual(decodeShipEntry(["other", "1"]), { ok: false, reason: `no "${SHIP_FIELD}" field` });
  assert.deepEqual(decodeShipEntry([SHIP_FIELD, "{nope"]), { ok: false, reason: "not JSON" });
  assert.ok(decodeShipEntry([SHIP_FIELD, JSON.stringify(ship("p2", 9))]).ok);
});

test("key names carry the prefix so runs never share a stream", () => {
  assert.deepEqual(writeBehindKeys("t:1:"), {
    stream: "t:1:ships",
    group: "persistence",
    deadLetter: "t:1:ships:dead",
  });
  assert.equal(writeBehindKeys().stream, "starlane:ships");
});

test("Redis publisher: publish returns at once, flush hands over the latest state of every ship", async () => {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  const publisher = createRedisShipPublisher(redis, { prefix });
  for (let v = 1; v <= 5; v++) for (let p = 0; p < 50; p++) publisher.publish(ship(`p${p}`, v));
  // Nothing has reached Redis yet: publish only buffers (the tick is never held up).
  assert.equal(await redis.xlen(writeBehindKeys(prefix).stream), 0);
  await publisher.flush();
  const entries = await redis.xrange(writeBehindKeys(prefix).stream, "-", "+");
  const latest = new Map<string, number>();
  for (const [, fields] of entries) {
    const v = decodeShipEntry(fields);
    assert.ok(v.ok);
    latest.set(v.state.playerId, Math.max(latest.get(v.state.playerId) ?? 0, v.state.version));
  }
  assert.equal(latest.size, 50);
  for (const v of latest.values()) assert.equal(v, 5);
  // Superseded versions of the same ship were not all sent: the buffer keeps one state per ship.
  assert.ok(entries.length < 250, `sent ${entries.length}`);
  assert.equal(publisher.stats().buffered, 0);
  publisher.close();
});

test("Redis publisher with Redis unreachable: publish never throws, flush times out, retry delivers later", async () => {
  const prefix = testRedisPrefix();
  const port = await freePort();
  const down = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
  down.on("error", () => {});
  const publisher = createRedisShipPublisher(down, { prefix, retryMs: 10, maxRetryMs: 20, maxBuffered: 2 });
  publisher.publish(ship("a", 1));
  publisher.publish(ship("b", 1));
  publisher.publish(ship("c", 1)); // over the bound: dropped and counted, not queued without limit
  await assert.rejects(publisher.flush(200), FlushTimeoutError);
  const stats = publisher.stats();
  assert.equal(stats.buffered, 2);
  assert.equal(stats.dropped, 1);
  assert.ok(stats.failures >= 1);
  // Redis comes up: the buffered states go out without anyone publishing again.
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  try {
    await publisher.flush(5000);
    assert.equal(await down.xlen(writeBehindKeys(prefix).stream), 2);
  } finally {
    publisher.close();
    down.disconnect();
    server.kill("SIGKILL");
  }
});

test("in-process queue: entries stay until acknowledged, flush waits for the consumer", async () => {
  const queue = createInProcessShipQueue();
  queue.publish(ship("a", 1));
  queue.publish(ship("a", 2));
  queue.publish(ship("b", 1));
  assert.equal(queue.lag(), 2);
  const first = queue.take(10);
  assert.deepEqual(
    first.map((e) => [e.state.playerId, e.state.version]),
    [
      ["a", 2],
      ["b", 1],
    ],
  );
  let flushed = false;
  const flush = queue.flush(1000).then(() => (flushed = true));
  // Not acknowledged (say the database write failed): the same entries come back.
  assert.deepEqual(
    queue.take(10).map((e) => e.id),
    first.map((e) => e.id),
  );
  queue.publish(ship("a", 3));
  queue.ack(first.map((e) => e.id));
  await new Promise((r) => setImmediate(r));
  assert.equal(flushed, false, "a newer state of a is still unwritten");
  const next = queue.take(10);
  assert.deepEqual(
    next.map((e) => e.state.version),
    [3],
  );
  queue.ack(next.map((e) => e.id));
  await flush;
  assert.equal(flushed, true);
  assert.equal(queue.lag(), 0);
});

test("versions grow on every publish and never fall behind the clock (a new session outranks an old one)", () => {
  assert.equal(nextShipVersion(5, 1000), 1000);
  assert.equal(nextShipVersion(1000, 1000), 1001);
  assert.equal(nextShipVersion(2000, 1500), 2001);
  const oldSession = nextShipVersion(nextShipVersion(0, 10_000), 10_000);
  assert.ok(nextShipVersion(0, 10_500) > oldSession, "a ship loaded at version 0 still writes newer versions");
});
