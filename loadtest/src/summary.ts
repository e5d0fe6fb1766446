// The run's summary: the JSON a machine compares (keys named in issue 6) and the table a person
// reads. Figures that were not measured are null, never 0 pretending to be a measurement.
import type { Bot } from "./bot.js";
import type { ChatFigures } from "./chat-tally.js";
import type { Measurements } from "./measurements.js";
import { round } from "./stats.js";
import type { ThinBot } from "./thin-bot.js";

export interface SecondSample {
  t: number;
  connected: number;
  messagesPerS: number;
  bytesPerS: number;
  inputsPerS: number;
  rttP50: number | null;
  rttP99: number | null;
  observerP50: number | null;
  observerP99: number | null;
  tickP99: number | null;
  errors: number;
}

interface P {
  p50: number | null;
  p99: number | null;
}

export interface Summary {
  scenario: string;
  bots: number;
  /** Steady-state seconds measured (after the ramp). */
  durationS: number;
  totalS: number;
  interrupted: boolean;
  joined: number;
  /** Bots connected at the end. */
  connectedAtEnd: number;
  errors: number;
  errorRate: number;
  errorsByCode: Record<string, number>;
  joinMs: P;
  rttMs: P & { count: number };
  /** `newInView`: acks seen advance on a ship that had just come into view (not samples). */
  observerMs: P & { count: number; newInView: number };
  bytesPerBotPerS: number | null;
  messagesPerBotPerS: number | null;
  inputsSent: number;
  actionsSent: number;
  actionsRefused: number;
  /** Steady phase: count, per second and gaps; `failed` over the whole run. */
  handoffs: { count: number; perS: number | null; failed: number; gapMs: P };
  reconnects: { count: number; maxS: number | null; resumeS: P };
  inputsLost: number;
  inputsDuplicated: number;
  tickMs: P & { overruns: number | null };
  /** The chat scenario's deliveries, counted by message tag; null in other scenarios. */
  chat: ChatFigures | null;
  notes: string[];
  perBot: {
    name: string;
    joined: boolean;
    joinMs: number | null;
    bytesPerS: number | null;
    inputs: number;
    errors: number;
    handoffs: number;
    reconnects: number;
    lastError: string | null;
  }[];
  timeline: SecondSample[];
}

export interface SummaryInput {
  scenario: string;
  bots: (Bot | ThinBot)[];
  m: Measurements;
  durationS: number;
  totalS: number;
  interrupted: boolean;
  tick: { p50: number | null; p99: number | null; overruns: number } | null;
  timeline: SecondSample[];
  notes: string[];
  chat?: ChatFigures | null;
}

const p = (s: { p50: number | null; p99: number | null }, digits = 1): P => ({
  p50: round(s.p50, digits),
  p99: round(s.p99, digits),
});

export function buildSummary(i: SummaryInput): Summary {
  const { m, bots } = i;
  const joined = bots.filter((b) => b.joined).length;
  const rtt = m.rtt.total.summary();
  const obs = m.observer.total.summary();
  const resume = m.resume.total.summary();
  const perBotS = i.durationS > 0 && joined > 0 ? i.durationS * joined : 0;
  const notes = [...i.notes];
  if (m.handoffs === 0) notes.push("no handoff happened in this run: handoff figures are not measured (null)");
  if (m.reconnects === 0) notes.push("no reconnect happened in this run: resume time is not measured (null)");
  if (i.interrupted) notes.push("the run was interrupted: figures cover what was measured until then");
  return {
    scenario: i.scenario,
    bots: bots.length,
    durationS: round(i.durationS, 1) ?? 0,
    totalS: round(i.totalS, 1) ?? 0,
    interrupted: i.interrupted,
    joined,
    connectedAtEnd: i.timeline.at(-1)?.connected ?? 0,
    errors: m.errorCount,
    errorRate: m.operations ? Number((m.errorCount / m.operations).toFixed(5)) : m.errorCount ? 1 : 0,
    errorsByCode: Object.fromEntries([...m.errors].sort((a, b) => b[1] - a[1])),
    joinMs: p(m.join.total.summary(), 0),
    rttMs: { ...p(rtt), count: rtt.count },
    observerMs: { ...p(obs), count: obs.count, newInView: m.observerNewInView },
    bytesPerBotPerS: perBotS ? Math.round(m.bytes / perBotS) : null,
    messagesPerBotPerS: perBotS ? round(m.messages / perBotS, 1) : null,
    inputsSent: m.inputsSent,
    actionsSent: m.actionsSent,
    actionsRefused: m.actionsRefused,
    handoffs: {
      count: m.handoffs,
      perS: i.durationS > 0 ? round(m.handoffs / i.durationS, 1) : null,
      failed: m.handoffsFailed,
      gapMs: p(m.handoffGap.total.summary()),
    },
    reconnects: { count: m.reconnects, maxS: round(resume.max, 2), resumeS: p(resume, 2) },
    inputsLost: m.inputsLost,
    inputsDuplicated: m.inputsDuplicated,
    tickMs: i.tick
      ? { p50: round(i.tick.p50, 1), p99: round(i.tick.p99, 1), overruns: i.tick.overruns }
      : { p50: null, p99: null, overruns: null },
    chat: i.chat ?? null,
    notes,
    perBot: bots.map((b) => ({
      name: b.name,
      joined: b.joined,
      joinMs: round(b.own.joinMs, 0),
      bytesPerS: b.joined && i.durationS > 0 ? Math.round(b.own.bytes / i.durationS) : null,
      inputs: b.own.inputs,
      errors: b.own.errors,
      handoffs: b.own.handoffs,
      reconnects: b.own.reconnects,
      lastError: b.lastError,
    })),
    timeline: i.timeline,
  };
}

const v = (x: number | null | undefined, unit = "") => (x === null || x === undefined ? "not measured" : `${x}${unit}`);

/** The table printed at the end of a run. */
export function formatSummary(s: Summary): string {
  const rows: [string, string][] = [
    ["scenario", s.scenario],
    ["bots joined / asked", `${s.joined} / ${s.bots}${s.interrupted ? " (interrupted)" : ""}`],
    ["steady-state seconds", String(s.durationS)],
    ["join time p50 / p99", `${v(s.joinMs.p50, " ms")} / ${v(s.joinMs.p99, " ms")}`],
    ["input -> ack p50 / p99", `${v(s.rttMs.p50, " ms")} / ${v(s.rttMs.p99, " ms")} (${s.rttMs.count} samples)`],
    [
      "input -> observer p50 / p99",
      `${v(s.observerMs.p50, " ms")} / ${v(s.observerMs.p99, " ms")} (${s.observerMs.count} samples; ${s.observerMs.newInView} more on ships just come into view)`,
    ],
    ["bytes / bot / s", v(s.bytesPerBotPerS)],
    ["messages / bot / s", v(s.messagesPerBotPerS)],
    ["inputs sent / lost / applied twice", `${s.inputsSent} / ${s.inputsLost} / ${s.inputsDuplicated}`],
    ["actions sent / refused", `${s.actionsSent} / ${s.actionsRefused}`],
    [
      "handoffs, /s (failed), gap p50 / p99",
      `${s.handoffs.count}, ${v(s.handoffs.perS, "/s")} (${s.handoffs.failed}), ${v(s.handoffs.gapMs.p50, " ms")} / ${v(s.handoffs.gapMs.p99, " ms")}`,
    ],
    ["reconnects, max resume", `${s.reconnects.count}, ${v(s.reconnects.maxS, " s")}`],
    ["zone tick p50 / p99, overruns", `${v(s.tickMs.p50, " ms")} / ${v(s.tickMs.p99, " ms")}, ${v(s.tickMs.overruns)}`],
    ...(s.chat
      ? ([
          [
            "chat sent / delivered / duplicates / missing",
            `${s.chat.sent} / ${s.chat.delivered} / ${s.chat.duplicates} / ${s.chat.missing}`,
          ],
          ["chat delivery p50 / p99", `${v(s.chat.deliveryMs.p50, " ms")} / ${v(s.chat.deliveryMs.p99, " ms")}`],
        ] as [string, string][])
      : []),
    ["errors (rate)", `${s.errors} (${(s.errorRate * 100).toFixed(2)}%)`],
  ];
  for (const [code, n] of Object.entries(s.errorsByCode)) rows.push([`  ${code}`, String(n)]);
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([k, val]) => `${k.padEnd(w)}  ${val}`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}
