// A run's own pass/fail: the CLI exits non-zero when one of these fails.
import type { Summary } from "./summary.js";

export interface Thresholds {
  /** Errors / operations (joins, inputs, actions, chat attempts). Default 0.01. */
  maxErrorRate?: number;
  /** Input-to-acknowledgement p99, ms. */
  maxP99?: number;
}

/** The reasons the run failed (empty when it passed). */
export function checkThresholds(s: Summary, t: Thresholds): string[] {
  const out: string[] = [];
  if (s.joined === 0) out.push(`no bot joined (of ${s.bots})`);
  // A chat scenario whose chat never worked did not test chat, however few errors that is per input.
  const chat = s.errorsByCode.CHAT_UNAVAILABLE ?? 0;
  if (chat > 0) out.push(`${chat} chat attempts failed: the target has no chat endpoint`);
  const maxRate = t.maxErrorRate ?? 0.01;
  if (s.errorRate > maxRate)
    out.push(`error rate ${(s.errorRate * 100).toFixed(2)}% > --max-error-rate ${(maxRate * 100).toFixed(2)}%`);
  if (t.maxP99 !== undefined) {
    if (s.rttMs.p99 === null) out.push("input -> ack p99 was not measured (--max-p99 cannot pass)");
    else if (s.rttMs.p99 > t.maxP99) out.push(`input -> ack p99 ${s.rttMs.p99} ms > --max-p99 ${t.maxP99} ms`);
  }
  return out;
}
