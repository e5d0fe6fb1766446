// Chat fan-out across two instances: two chat processes (services/chat/src/main.ts) on the real Redis
// and PostgreSQL, N thin receivers split over them (raw WebSockets; a receiver only finds the send
// time in each message), some of which also send on `global` at a fixed rate. Prints one JSON
// line: deliveries per second, delivery p50/p99 (send to receipt, one clock), and the CPU each
// side used, since on a small machine the receivers may be the limit.
//   node --conditions=starlane-source --import tsx services/chat/bench/fanout.ts --chatters 1000 --senders 60 --rate 1 --seconds 10
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ACCESS_TOKEN_TYPE, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@starlane/shared";
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import WebSocket from "ws";

const { values } = parseArgs({
  options: {
    chatters: { type: "string", default: "1000" },
    senders: { type: "string", default: "60" },
    rate: { type: "string", default: "1" },
    seconds: { type: "string", default: "10" },
    // Writes a V8 CPU profile of each chat process there (the receivers: run this script itself
    // with node --cpu-prof).
    profile: { type: "string" },
  },
});
const chatters = Number(values.chatters);
const senders = Math.min(chatters, Number(values.senders));
const ratePerSender = Number(values.rate);
const seconds = Number(values.seconds);
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: TOKEN_ALGORITHM, use: "sig" };
const jwks = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
const sign = (name: string) =>
  new SignJWT({ name, lt: true })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: "bench", typ: ACCESS_TOKEN_TYPE })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(randomUUID())
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey);

const db = await createTestDatabase();
const prefix = testRedisPrefix();
const children: ChildProcess[] = [];

function startChat(): Promise<{ child: ChildProcess; port: number }> {
  const profile = values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [];
  const child = spawn(process.execPath, [...profile, "--conditions=starlane-source", "--import", "tsx", MAIN], {
    env: {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      DATABASE_URL: db.url,
      STARLANE_JWKS_URL: jwksUrl,
      STARLANE_OPERATOR_TOKEN: randomBytes(24).toString("hex"),
      STARLANE_KEY_PREFIX: prefix,
      STARLANE_CHAT_PORT: "0",
      STARLANE_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /"port":(\d+)[^\n]*"chat is up"/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr!.on("data", (d) => (out += d));
    child.once("exit", (code) => reject(new Error(`chat exited ${code}: ${out.slice(-1000)}`)));
  });
}

/** CPU seconds (user + system) of a process, from /proc (Linux). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let delivered = 0;
let measuring = false;
const latencies: number[] = [];
const MARK = Buffer.from('"text":"b:');
let lastAt = 0;
/** Messages the senders actually sent (their timers run late when the machine is busy). */
let sent = 0;

try {
  const instances = await Promise.all([startChat(), startChat()]);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < chatters; i++) {
    const { port } = instances[i % 2]!;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/chat?access_token=${await sign(`bench_${i}`)}`, {
      perMessageDeflate: false,
      // Thin receivers: chat sends valid UTF-8; checking it again is the receivers' cost, not chat's.
      skipUTF8Validation: true,
    });
    ws.on("message", (data: Buffer) => {
      if (!measuring) return;
      // Thin: find each send time in the bytes (a frame may carry several messages, one per line),
      // without decoding or parsing them.
      const now = performance.now();
      for (let at = data.indexOf(MARK); at >= 0; at = data.indexOf(MARK, at + MARK.length)) {
        delivered++;
        lastAt = now;
        let sent = 0;
        let scale = 0;
        for (let i = at + MARK.length; i < data.length; i++) {
          const b = data[i]!;
          if (b === 0x2e) scale = 1;
          else if (b >= 0x30 && b <= 0x39) {
            sent = sent * 10 + (b - 0x30);
            if (scale) scale *= 10;
          } else break;
        }
        if (latencies.length < 2_000_000) latencies.push(now - (scale ? sent / scale : sent));
      }
    });
    sockets.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
  }
  await new Promise((r) => setTimeout(r, 1000)); // welcomes and histories

  const cpu0 = { bench: process.cpuUsage(), servers: instances.map((x) => cpuOf(x.child.pid!)) };
  const t0 = performance.now();
  measuring = true;
  // The offered rate is kept by the clock, not by one timer per sender: this process also runs the
  // receivers, and on a busy machine late timers used to send fewer messages than offered. Every
  // 5 ms the messages due by now go out, round robin over the senders (one a second each on
  // average, within chat's per-connection rate and burst).
  const total = senders * ratePerSender;
  let next = 0;
  const pump = setInterval(() => {
    const due = Math.min(Math.floor(((performance.now() - t0) / 1000) * total), Math.round(total * seconds));
    for (; sent < due; sent++) {
      const ws = sockets[next]!;
      next = (next + 1) % senders;
      ws.send(JSON.stringify({ t: "say", channel: "global", text: `b:${performance.now().toFixed(3)}` }));
    }
  }, 5);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(pump);
  await new Promise((r) => setTimeout(r, 500)); // the last ones in flight
  measuring = false;
  const wall = (performance.now() - t0) / 1000;
  const bench = process.cpuUsage(cpu0.bench);
  const serverCpu = instances.map((x, i) => cpuOf(x.child.pid!) - cpu0.servers[i]!);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : null;
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  process.stdout.write(
    `${JSON.stringify({
      chatters,
      senders,
      offeredMsgsPerS: senders * ratePerSender,
      sentMsgsPerS: Math.round((sent / seconds) * 10) / 10,
      // Every chatter should get every message: what the run could deliver at most.
      deliveriesDue: sent * chatters,
      delivered,
      // Over the time deliveries took: from the first send to the last receipt (dividing by the send
      // window plus the drain made the offered rate itself unreachable).
      deliveriesPerS: Math.round(delivered / Math.max(0.001, (lastAt - t0) / 1000)),
      deliveryP50Ms: round(pct(50)),
      deliveryP99Ms: round(pct(99)),
      receiversCpuShare: round(((bench.user + bench.system) / 1e6 / wall) * 100),
      serversCpuShare: serverCpu.map((c) => round((c / wall) * 100)),
    })}\n`,
  );
  for (const ws of sockets) ws.terminate();
} finally {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode === null ? c.once("exit", r) : r(null)))));
  jwks.close();
  await db.drop();
}
