// The observers of a zone benchmark in a process of their own, so input-to-observer latency measures
// the server and not the bots' process: in the bench process an observer's frame waits behind the
// frames of hundreds of thin bots that arrived in the same burst (each costs that event loop tens of
// µs). This process runs only the full bots that observe (ships bot-0 .. bot-(n-1), the first ones the
// zone places): each flies, sends its inputs and measures how soon the others see them applied.
//
// `startObservers` (the bench side) spawns this file; it talks JSON lines over stdin/stdout:
//   child -> {"ready":true} once its bots have joined (or given up); parent -> "go" when the bench's
//   steady phase starts (the child's starts then, for `durationS`); child -> {"summary":...} at the
//   end; parent -> "stop" ends it early.
import { type ChildProcess, spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { runFleet } from "./fleet.js";
import { crowd } from "./scenarios/index.js";
import type { Summary } from "./summary.js";
import type { ZoneTicks } from "./zone-child.js";

interface ObserverJob {
  url: string;
  /** The observers' signed tokens, by ship id. */
  tokens: Record<string, string>;
  durationS: number;
  joinTimeoutMs: number;
  stock: boolean;
}

export interface Observers {
  /** Starts the observers' steady phase. */
  go(): void;
  /** Their summary at the end of their steady phase (or now, when stopped). */
  summary(): Promise<Summary | null>;
  /** With the summary: their samples ([sent, seen, frame tick, ship number, sequence], ms since the epoch) and their own event-loop delay. */
  detail(): Promise<{ observations: number[][]; loopMs: { p50: number; p99: number } } | null>;
  stop(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

export async function startObservers(
  bots: number,
  job: Omit<ObserverJob, "tokens">,
  sign: (shipId: string) => Promise<string>,
): Promise<Observers> {
  const tokens: Record<string, string> = {};
  for (let i = 0; i < bots; i++) tokens[`bot-${i}`] = await sign(`bot-${i}`);
  const child: ChildProcess = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", SELF], {
    env: { ...process.env, STARLANE_OBSERVER_JOB: JSON.stringify({ ...job, tokens } satisfies ObserverJob) },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.stdin!.on("error", () => {}); // it may have ended by itself (EPIPE)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown> | null> => {
    const r = await lines.next();
    return r.done ? null : (JSON.parse(String(r.value)) as Record<string, unknown>);
  };
  await next(); // ready (or the child ended)
  let last: Promise<Record<string, unknown> | null> | undefined;
  const end = () => (last ??= next());
  return {
    go: () => child.stdin!.write("go\n"),
    summary: async () => ((await end())?.summary as Summary | undefined) ?? null,
    detail: async () => {
      const l = await end();
      return l?.observations
        ? {
            observations: l.observations as number[][],
            loopMs: l.loopMs as { p50: number; p99: number },
          }
        : null;
    },
    async stop() {
      if (child.exitCode === null) child.stdin!.write("stop\n");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** The bench's figures with the observers' beside them: their joins, connections and latencies count. */
export function withObservers(main: Summary, obs: Summary | null, observers: number): Summary {
  if (!obs) return { ...main, notes: [...main.notes, `the ${observers} observers' process gave no summary`] };
  const errorsByCode = { ...main.errorsByCode };
  for (const [k, v] of Object.entries(obs.errorsByCode)) errorsByCode[k] = (errorsByCode[k] ?? 0) + v;
  return {
    ...main,
    bots: main.bots + obs.bots,
    joined: main.joined + obs.joined,
    connectedAtEnd: main.connectedAtEnd + obs.connectedAtEnd,
    errors: main.errors + obs.errors,
    errorsByCode,
    observerMs: obs.observerMs,
    inputsLost: main.inputsLost + obs.inputsLost,
    inputsDuplicated: main.inputsDuplicated + obs.inputsDuplicated,
    interrupted: main.interrupted || obs.interrupted,
  };
}

// The child: the observers' fleet.
if (process.argv[1] === SELF) {
  const job = JSON.parse(process.env.STARLANE_OBSERVER_JOB ?? "{}") as ObserverJob;
  const ids = Object.keys(job.tokens);
  const stop = new AbortController();
  let go: () => void = () => {};
  const started = new Promise<void>((r) => {
    go = r;
  });
  void (async () => {
    for await (const line of createInterface({ input: process.stdin })) {
      if (line === "go") go();
      else if (line === "stop") {
        stop.abort();
        go();
      }
    }
    stop.abort();
    go();
  })();
  // The steady phase's samples as [sent, seen] (ms since the epoch), the frame's tick, the ship's
  // number (bot-N) and the input's sequence; and this process's own event-loop delay over that time.
  const observations: number[][] = [];
  let steady = false;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const summary = await runFleet({
    entry: { kind: "direct", url: job.url, shipId: (i) => ids[i]!, token: async (id) => job.tokens[id]! },
    scenario: crowd,
    bots: ids.length,
    durationS: job.durationS,
    rampPerS: 0,
    joinTimeoutMs: job.joinTimeoutMs,
    signal: stop.signal,
    observers: ids.length,
    stock: job.stock,
    onObserved: (sent, seen, tick, shipId, seq) => {
      if (steady && observations.length < 100_000)
        observations.push([
          performance.timeOrigin + sent,
          performance.timeOrigin + seen,
          tick,
          Number(shipId.slice(4)),
          seq,
        ]);
    },
    onSteady: async () => {
      process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
      await started;
      steady = true;
      loop.enable();
    },
  });
  loop.disable();
  const { perBot: _p, timeline: _t, ...rest } = summary;
  const loopMs = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6 };
  // A pipe takes a long line in pieces: exit once it is all written.
  process.stdout.write(
    `${JSON.stringify({ summary: { ...rest, perBot: [], timeline: [] }, observations, loopMs })}\n`,
    () => process.exit(0),
  );
}

export interface ObserverBreakdown {
  samples: number;
  /** ms, p50/p99 each: the input sent until the tick that applied it began (transit, the zone busy, the wait for the tick). */
  toTick: { p50: number; p99: number };
  /** Of `toTick`: sent until the room's handler had it (the sockets, the zone's loop busy), then waiting for its tick. */
  toRoom: { p50: number; p99: number };
  inRoom: { p50: number; p99: number };
  /** The tick's rules and mirror update, until its send began. */
  tickToSend: { p50: number; p99: number };
  /** The send began until the observer had decoded the frame (its frame's turn in the send, the network, its process). */
  sendToSeen: { p50: number; p99: number };
  total: { p50: number; p99: number };
  /** The observers' process's own event-loop delay. */
  observerLoop: { p50: number; p99: number };
  /** Time between one tick's start and the next's (the zone's timer and its catch-up), p50/p99, and the share under 25 ms. */
  tickGap: { p50: number; p99: number; short: number };
}

/** Each observer sample split at its frame's tick start and send start (the zone's tick times). */
export function breakdown(
  detail: { observations: number[][]; loopMs: { p50: number; p99: number } },
  { ticks, arrivals }: ZoneTicks,
): ObserverBreakdown | null {
  const byTick = new Map(ticks.map((t) => [t[0]!, t]));
  const parts: number[][] = [[], [], [], [], [], []];
  for (const [sent, seen, tick, ship, seq] of detail.observations) {
    const t = byTick.get(tick!);
    if (!t?.[2]) continue;
    parts[0]!.push(t[1]! - sent!);
    parts[1]!.push(t[2]! - t[1]!);
    parts[2]!.push(seen! - t[2]!);
    parts[3]!.push(seen! - sent!);
    const arrived = arrivals[`bot-${ship}:${seq}`];
    if (arrived !== undefined) {
      parts[4]!.push(arrived - sent!);
      parts[5]!.push(t[1]! - arrived);
    }
  }
  if (parts[0]!.length === 0) return null;
  const gaps: number[] = [];
  for (let i = 1; i < ticks.length; i++) gaps.push(ticks[i]![1]! - ticks[i - 1]![1]!);
  const q = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    const at = (p: number) => Math.round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! * 10) / 10;
    return { p50: at(0.5), p99: at(0.99) };
  };
  return {
    samples: parts[0]!.length,
    toTick: q(parts[0]!),
    toRoom: q(parts[4]!),
    inRoom: q(parts[5]!),
    tickToSend: q(parts[1]!),
    sendToSeen: q(parts[2]!),
    total: q(parts[3]!),
    observerLoop: { p50: Math.round(detail.loopMs.p50 * 10) / 10, p99: Math.round(detail.loopMs.p99 * 10) / 10 },
    tickGap: {
      ...q(gaps),
      short: Math.round((100 * gaps.filter((g) => g < 25).length) / Math.max(1, gaps.length)) / 100,
    },
  };
}
