// Benchmark: 200 real SDK clients flying around one region, twice: with interest management and
// quantisation on (the default), then both off (everything to everyone, as float64). Prints tick
// duration p50/p99 (exact, measured in the zone process) and bytes sent per client per second (the
// zone's counter, cross-checked by the bytes the clients received).
//
//   node --conditions=starlane-source --import tsx services/zone/bench/crowd.ts [clients] [seconds]
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Client, type Room } from "@colyseus/sdk";
import { ACCESS_TOKEN_TYPE, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@starlane/shared";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

const CLIENTS = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 20);
const WARMUP_S = 3;
const HZ = 20;

const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "bench", alg: TOKEN_ALGORITHM, use: "sig" }] };
const sign = (sub: string) =>
  new SignJWT({ name: sub, lt: true }) // load-test bots: exempt from the per-address caps, like provisioned accounts
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: "bench", typ: ACCESS_TOKEN_TYPE })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey);

interface ShipLike {
  x: number;
  y: number;
  heading: number;
}
interface Bot {
  room: Room<unknown, { ships: Map<string, ShipLike> }>;
  id: string;
  seq: number;
  turn: number;
  bytes: number;
}

async function startZone(env: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // BENCH_PROFILE=dir writes a CPU profile of the zone process there.
      ...(process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      "--conditions=starlane-source",
      "--import",
      "tsx",
      fileURLToPath(new URL("./zone-process.ts", import.meta.url)),
    ],
    { env: { ...process.env, ...env, BENCH_CLIENTS: String(CLIENTS), BENCH_JWKS: JSON.stringify(jwks) }, stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines: Interface = createInterface({ input: child.stdout! });
  const it = lines[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await it.next()).value));
  const { port } = (await next()) as { port: number };
  return {
    port,
    async stats() {
      child.stdin!.write("stats\n");
      return (await next()) as { ticks: number; p50: number; p99: number; max: number; clients: number };
    },
    async stop() {
      child.stdin!.write("quit\n");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

async function bytesSent(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^starlane_zone_bytes_sent_total\{[^}]*\} (\S+)$/m.exec(text);
  return Number(m?.[1] ?? 0);
}

// Wander: keep turning a little, full thrust, and head back to the region's middle when near its edge.
function steer(bot: Bot): void {
  const me = bot.room.state?.ships?.get(bot.id);
  if (Math.random() < 0.05) bot.turn = Math.random() * 2 - 1;
  let turn = bot.turn;
  if (me && (me.x < 2150 || me.x > 3850 || me.y < 2150 || me.y > 3850)) {
    const want = Math.atan2(3000 - me.y, 3000 - me.x);
    const diff = Math.atan2(Math.sin(want - me.heading), Math.cos(want - me.heading));
    turn = Math.max(-1, Math.min(1, diff * 2));
  }
  bot.room.send("input", { seq: ++bot.seq, thrust: 1, turn, fire: false });
}

async function run(label: string, env: Record<string, string>) {
  const zone = await startZone(env);
  const bots: Bot[] = [];
  const url = `http://127.0.0.1:${zone.port}`;
  for (let i = 0; i < CLIENTS; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, CLIENTS - i) }, async (_, k) => {
        const id = `bot-${i + k}`;
        const client = new Client(url);
        client.auth.token = await sign(id);
        const room = (await client.joinById("region-1-1", {})) as Bot["room"];
        const bot: Bot = { room, id, seq: 0, turn: 0, bytes: 0 };
        const events = room.connection.events as { onmessage?: (ev: { data: ArrayBuffer }) => void };
        const deliver = events.onmessage!;
        events.onmessage = (ev) => {
          bot.bytes += ev.data.byteLength;
          deliver(ev);
        };
        return bot;
      }),
    );
    bots.push(...batch);
  }
  const timer = setInterval(() => {
    for (const bot of bots) steer(bot);
  }, 1000 / HZ);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  await zone.stats(); // reset the tick sample
  const sent0 = await bytesSent(zone.port);
  const recv0 = bots.reduce((s, b) => s + b.bytes, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const stats = await zone.stats();
  const sent = (await bytesSent(zone.port)) - sent0;
  const recv = bots.reduce((s, b) => s + b.bytes, 0) - recv0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  await Promise.all(bots.map((b) => b.room.leave(true).catch(() => {})));
  await zone.stop();
  return {
    label,
    clients: stats.clients,
    seconds: Number(elapsed.toFixed(1)),
    ticks: stats.ticks,
    tickP50ms: Number(stats.p50.toFixed(2)),
    tickP99ms: Number(stats.p99.toFixed(2)),
    tickMaxMs: Number(stats.max.toFixed(2)),
    sentBytesPerClientPerS: Math.round(sent / CLIENTS / elapsed),
    receivedBytesPerClientPerS: Math.round(recv / CLIENTS / elapsed),
    clientProcessCpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
  };
}

// BENCH_ONLY=on|off|interest|quantize runs one configuration (profiling, or to split the saving).
const MODES: Record<string, Record<string, string>> = {
  on: { STARLANE_ZONE_INTEREST: "true", STARLANE_ZONE_QUANTIZE: "true" },
  off: { STARLANE_ZONE_INTEREST: "false", STARLANE_ZONE_QUANTIZE: "false" },
  interest: { STARLANE_ZONE_INTEREST: "true", STARLANE_ZONE_QUANTIZE: "false" },
  quantize: { STARLANE_ZONE_INTEREST: "false", STARLANE_ZONE_QUANTIZE: "true" },
};
const only = process.env.BENCH_ONLY;
if (only) {
  if (!MODES[only]) throw new Error(`BENCH_ONLY must be one of ${Object.keys(MODES).join(", ")}`);
  console.log(JSON.stringify(await run(only, MODES[only])));
  process.exit(0);
}
const on = await run("interest + quantisation ON (default)", MODES.on!);
console.log(JSON.stringify(on));
const off = await run("interest + quantisation OFF (baseline)", MODES.off!);
console.log(JSON.stringify(off));
console.table([on, off]);
console.log(
  `bytes per client per second: ${on.sentBytesPerClientPerS} vs ${off.sentBytesPerClientPerS} (${(off.sentBytesPerClientPerS / Math.max(1, on.sentBytesPerClientPerS)).toFixed(1)}x less with both on)`,
);
process.exit(0);
