// Everything a fleet measures, shared by its bots. Latencies are kept twice: for the whole steady
// phase (the summary) and per second (the live line and the report's plots).
import { ChatTally } from "./chat-tally.js";
import { Samples } from "./stats.js";

export class Metric {
  readonly total = new Samples();
  readonly window = new Samples(20_000);
  add(v: number): void {
    this.total.add(v);
    this.window.add(v);
  }
  reset(): void {
    this.total.drain();
    this.window.drain();
  }
}

export class Measurements {
  readonly join = new Metric();
  readonly rtt = new Metric();
  readonly observer = new Metric();
  /** Acks an observer saw advance on a ship just come into its view: not latency samples (bot.ts). */
  observerNewInView = 0;
  readonly handoffGap = new Metric();
  /** Seconds from an unexpected close to the first state after rejoining. */
  readonly resume = new Metric();
  readonly errors = new Map<string, number>();
  /** The chat scenario's messages, counted by tag. */
  readonly chat = new ChatTally();
  /** Bytes and messages received, since the steady phase began (reset by resetSteady). */
  bytes = 0;
  messages = 0;
  inputsSent = 0;
  actionsSent = 0;
  actionsRefused = 0;
  chatAttempts = 0;
  joinAttempts = 0;
  inputsLost = 0;
  inputsDuplicated = 0;
  handoffs = 0;
  handoffsFailed = 0;
  reconnects = 0;

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  /** Operations an error could have come from: the denominator of the error rate. */
  get operations(): number {
    return this.joinAttempts + this.inputsSent + this.actionsSent + this.chatAttempts;
  }

  /** Start of steady state: forget what the ramp-up did to latencies and traffic. */
  resetSteady(): void {
    this.rtt.reset();
    this.observer.reset();
    this.observerNewInView = 0;
    // Handoffs per second and their gaps are steady-state figures too (failures count the whole run).
    this.handoffs = 0;
    this.handoffGap.reset();
    this.bytes = 0;
    this.messages = 0;
  }
}
