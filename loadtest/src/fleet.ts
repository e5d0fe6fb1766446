// A fleet of bots: ramps them up, lets them play for the duration, measures the steady phase (what
// the ramp did to latencies and traffic is forgotten when the last bot has started), scrapes the
// zones' /metrics, reports a line a second, and always ends with a summary, also when stopped
// early (abort signal) or when nothing could join.
import { DEFAULT_WORLD, type WorldConfig } from "@starlane/shared";
import { AccountPool } from "./account.js";
import { Bot, type BotContext, type Entry } from "./bot.js";
import { Measurements } from "./measurements.js";
import type { Scenario, ScenarioContext } from "./scenarios/types.js";
import { mergeTickMetrics, scrapeTickMetrics, type TickHistogram, tickPercentileMs } from "./server-metrics.js";
import { buildSummary, type SecondSample, type Summary } from "./summary.js";
import { ThinBot } from "./thin-bot.js";

export type FleetEntry =
  | {
      kind: "login";
      target: string;
      password?: string;
      namePrefix?: string;
      firstIndex?: number;
      /** Accounts from the operator API (bulk, no per-IP limit) instead of public registration. */
      operatorToken?: string;
      /** Read the accounts of an earlier run from here (renewing their tokens) and write them back. */
      accountsFile?: string;
    }
  | { kind: "direct"; url: string; shipId: (i: number) => string; token: (shipId: string) => Promise<string> };

export interface FleetOptions {
  entry: FleetEntry;
  scenario: Scenario;
  bots: number;
  /** Steady-state seconds after the ramp (and warm-up). */
  durationS: number;
  /** Seconds between the last join and the steady phase (default 0). */
  warmupS?: number;
  /** Bots started per second during the ramp (0: all at once). Default 5. */
  rampPerS?: number;
  inputRate?: number;
  /** How many bots measure input-to-observer latency (default min(bots, 20)). */
  observers?: number;
  /**
   * Direct entry only: bots from this index on are thin (ThinBot: plain WebSocket, inputs, their own
   * private part and bytes only); default: every bot is a full one.
   */
  fullBots?: number;
  /** The zone is the stock Colyseus room (schema state): thin bots join on its first state and measure no ack. */
  stock?: boolean;
  world?: WorldConfig;
  /** Extra /metrics URLs to scrape (zones are added as bots see them). */
  metricsUrls?: string[];
  signal?: AbortSignal;
  /** Called with one-off remarks as they happen (how the accounts were obtained); all end up in the summary's notes too. */
  onNote?: (note: string) => void;
  /** Called once a second with the live line. */
  onProgress?: (line: string, sample: SecondSample) => void;
  joinTimeoutMs?: number;
  seed?: number;
  /** Each input-to-observer sample (performance.now() times; the tick of the frame it was seen in). */
  onObserved?: (sent: number, seen: number, tick: number, shipId: string, seq: number) => void;
  /** Called when the steady phase is about to start; it starts when this returns. */
  onSteady?: () => Promise<void> | void;
}

export const DEFAULT_PASSWORD = "starlane-loadtest-pw";

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const fmt = (v: number | null, unit = "ms") => (v === null ? "-" : `${v.toFixed(v < 10 ? 1 : 0)}${unit}`);

export async function runFleet(o: FleetOptions): Promise<Summary> {
  const world = o.world ?? DEFAULT_WORLD;
  const m = new Measurements();
  const bots: (Bot | ThinBot)[] = [];
  const byShip = new Map<string, Bot | ThinBot>();
  const metricsUrls = new Set(o.metricsUrls ?? []);
  const zoneUrls = new Set<string>();
  const ctx: BotContext = {
    m,
    sentAt: (shipId, seq) => byShip.get(shipId)?.sentAt(seq),
    zoneSeen: (address) => zoneUrls.add(`http://${address}/metrics`),
    ...(o.onObserved ? { observed: o.onObserved } : {}),
  };
  const random = rng(o.seed ?? 42);
  const observers = o.observers ?? Math.min(o.bots, 20);
  const notes: string[] = [];
  if (o.entry.kind === "direct")
    notes.push("direct zone mode: bots joined the zone with signed tokens, bypassing login and world entry");

  // Deterministic names: a second run reuses the accounts (renewed from the accounts file, reused
  // by the operator API, or logged in with the known password) instead of making new ones.
  const nameOf = (e: { namePrefix?: string; firstIndex?: number }, i: number) =>
    `${e.namePrefix ?? "lt"}_${(e.firstIndex ?? 0) + i}`;
  let pool: AccountPool | undefined;
  if (o.entry.kind === "login") {
    const e = o.entry;
    pool = new AccountPool({
      target: e.target,
      password: e.password ?? DEFAULT_PASSWORD,
      operatorToken: e.operatorToken,
      accountsFile: e.accountsFile,
    });
    if (e.operatorToken || e.accountsFile) {
      const names = Array.from({ length: o.bots }, (_, i) => nameOf(e, i));
      const r = await pool.prepare(names, Date.now() + (o.joinTimeoutMs ?? 60_000));
      for (const note of [
        `accounts: ${r.refreshed} renewed from the accounts file, ${r.provisioned} from the operator API, ${r.public} through public registration`,
        ...r.notes,
      ]) {
        notes.push(note);
        o.onNote?.(note);
      }
    }
  }

  const entryFor = (i: number): Entry => {
    const e = o.entry;
    if (e.kind === "login") {
      const name = nameOf(e, i);
      return {
        kind: "login",
        target: e.target,
        name,
        password: e.password ?? DEFAULT_PASSWORD,
        session: (deadline, renew) => pool!.session(name, deadline, renew),
      };
    }
    const sc: ScenarioContext = { index: i, world, random };
    const shipId = e.shipId(i);
    return { kind: "direct", url: e.url, roomId: o.scenario.directRoom(sc), shipId, token: () => e.token(shipId) };
  };

  const scrape = async (): Promise<TickHistogram | null> => {
    // Prefer the zones bots were sent to; fall back to the target's own /metrics.
    const urls = zoneUrls.size ? [...zoneUrls] : [...metricsUrls];
    const parts = (await Promise.all(urls.map((u) => scrapeTickMetrics(u)))).filter((p): p is TickHistogram => !!p);
    return parts.length ? mergeTickMetrics(parts) : null;
  };

  const aborted = () => o.signal?.aborted ?? false;
  const abortWait = (ms: number) =>
    new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        o.signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      o.signal?.addEventListener("abort", onAbort, { once: true });
    });

  const t0 = performance.now();
  const timeline: SecondSample[] = [];
  let lastMessages = 0;
  let lastBytes = 0;
  let lastInputs = 0;
  let prevScrape: TickHistogram | null = await scrape();
  let steadyScrape: TickHistogram | null = null;
  let scrapeBusy = false;
  let lastTickP99: number | null = null;
  let steady = false;
  let steadyStart = 0;
  const second = setInterval(() => {
    const connected = bots.filter((b) => b.connected).length;
    const rtt = m.rtt.window.drain();
    const obs = m.observer.window.drain();
    const msgs = m.messages - lastMessages;
    const bytes = m.bytes - lastBytes;
    const inputs = m.inputsSent - lastInputs;
    lastMessages = m.messages;
    lastBytes = m.bytes;
    lastInputs = m.inputsSent;
    if (!scrapeBusy) {
      scrapeBusy = true;
      void scrape().then((s) => {
        if (s && prevScrape) lastTickP99 = tickPercentileMs(prevScrape, s, 99);
        if (s) prevScrape = s;
        scrapeBusy = false;
      });
    }
    const sample: SecondSample = {
      t: Math.round((performance.now() - t0) / 1000),
      connected,
      messagesPerS: Math.max(0, msgs),
      bytesPerS: Math.max(0, bytes),
      inputsPerS: Math.max(0, inputs),
      rttP50: rtt.p50,
      rttP99: rtt.p99,
      observerP50: obs.p50,
      observerP99: obs.p99,
      tickP99: lastTickP99,
      errors: m.errorCount,
    };
    timeline.push(sample);
    o.onProgress?.(
      `[${sample.t}s] ${steady ? "steady" : "ramp"} bots ${connected}/${o.bots} | msgs/s ${sample.messagesPerS} | KB/s ${(sample.bytesPerS / 1024).toFixed(0)} | rtt p99 ${fmt(rtt.p99)} | observer p99 ${fmt(obs.p99)} | tick p99 ${fmt(lastTickP99)} | errors ${m.errorCount}`,
      sample,
    );
  }, 1000);

  // Ramp: start bots one by one at the configured rate; a bot's join runs in the background.
  const starts: Promise<boolean>[] = [];
  const gap = o.rampPerS && o.rampPerS > 0 ? 1000 / o.rampPerS : 0;
  for (let i = 0; i < o.bots && !aborted(); i++) {
    const sc: ScenarioContext = { index: i, world, random };
    const entry = entryFor(i);
    const bot =
      entry.kind === "direct" && o.fullBots !== undefined && i >= o.fullBots
        ? new ThinBot({
            url: entry.url,
            roomId: entry.roomId,
            shipId: entry.shipId,
            token: entry.token,
            ctx,
            inputRate: o.inputRate ?? 10,
            joinTimeoutMs: o.joinTimeoutMs ?? 60_000,
            turn: (random() < 0.5 ? -1 : 1) * (0.2 + 0.3 * random()),
            stock: o.stock ?? false,
          })
        : new Bot({
            entry,
            brain: o.scenario.brain(sc),
            ctx,
            inputRate: o.inputRate ?? 10,
            observer: i < observers,
            joinTimeoutMs: o.joinTimeoutMs ?? 60_000,
          });
    bots.push(bot);
    starts.push(
      bot.start().then((ok) => {
        if (bot.shipId) byShip.set(bot.shipId, bot);
        return ok;
      }),
    );
    // Direct mode knows the ship id up front: observers can match this bot's inputs at once.
    if (entry.kind === "direct") byShip.set(entry.shipId, bot);
    if (gap) await abortWait(gap);
  }
  // Wait for the joins (bounded by their own timeouts) before the steady phase starts.
  await Promise.race([
    Promise.all(starts),
    new Promise<void>((r) => o.signal?.addEventListener("abort", () => r(), { once: true })),
  ]);
  for (const b of bots) if (b.shipId) byShip.set(b.shipId, b);

  if (!aborted() && o.warmupS) await abortWait(o.warmupS * 1000);
  // The steady phase starts when onSteady returns: a benchmark resets its server-side sample there,
  // or holds the phase until bots in another process are in (observer-child.ts).
  if (!aborted()) await o.onSteady?.();
  if (!aborted()) {
    steady = true;
    m.resetSteady();
    lastMessages = 0;
    lastBytes = 0;
    for (const b of bots) b.own.bytes = 0;
    steadyScrape = await scrape();
    steadyStart = performance.now();
    await abortWait(o.durationS * 1000);
  }
  const steadyS = steadyStart ? (performance.now() - steadyStart) / 1000 : 0;
  const endScrape = await scrape();
  clearInterval(second);
  // Chat is counted up to now, before the bots close their connections; the last second's
  // messages may still be on their way and are not held against anyone.
  const chat = o.scenario.name === "chat" ? m.chat.figures(1000) : null;
  await Promise.all(bots.map((b) => b.stop()));
  // Tokens renewed or accounts registered during the run: the next run starts from these.
  pool?.save();

  const tick =
    steadyScrape && endScrape
      ? {
          p50: tickPercentileMs(steadyScrape, endScrape, 50),
          p99: tickPercentileMs(steadyScrape, endScrape, 99),
          overruns: endScrape.overruns - steadyScrape.overruns,
        }
      : null;
  if (!tick) notes.push("no zone /metrics could be scraped: server-side tick figures are missing");
  return buildSummary({
    scenario: o.scenario.name,
    bots,
    m,
    durationS: steadyS,
    totalS: (performance.now() - t0) / 1000,
    interrupted: aborted(),
    tick,
    timeline,
    notes,
    chat,
  });
}
