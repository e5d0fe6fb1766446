// The chat scenario's delivery count. Every bot's message carries a tag unique in the run
// (`lt#<bot>#<n>`) and is counted by it: each bot records the tags it received, so a tag seen twice
// by one bot is a real duplicate, and a tag a bot should have seen (it was connected to chat from
// before the send until the end) and never did is a real gap. Delivery time is from the sender's
// send to each receipt, on this process's one clock.
import { Samples } from "./stats.js";

export interface ChatFigures {
  sent: number;
  delivered: number;
  duplicates: number;
  missing: number;
  deliveryMs: { p50: number | null; p99: number | null };
}

interface Listener {
  since: number;
  closed: boolean;
  got: Set<string>;
}

export const CHAT_TAG = "lt#";

export class ChatTally {
  readonly #sent = new Map<string, number>();
  readonly #listeners = new Set<Listener>();
  readonly delivery = new Samples();
  delivered = 0;
  duplicates = 0;

  /** A bot's chat connection is ready (welcomed, history in): from now on it should get every message. */
  listen(): Listener {
    const l = { since: performance.now(), closed: false, got: new Set<string>() };
    this.#listeners.add(l);
    return l;
  }

  sent(tag: string): void {
    this.#sent.set(tag, performance.now());
  }

  received(l: Listener, tag: string): void {
    if (l.got.has(tag)) {
      this.duplicates++;
      return;
    }
    l.got.add(tag);
    this.delivered++;
    const t = this.#sent.get(tag);
    if (t !== undefined) this.delivery.add(performance.now() - t);
  }

  /**
   * The figures, once the run stopped sending. Messages of the last `graceMs` are not held against
   * anyone, and neither is anything sent to a connection that closed along the way.
   */
  figures(graceMs: number): ChatFigures {
    const end = performance.now() - graceMs;
    let missing = 0;
    for (const l of this.#listeners) {
      if (l.closed) continue;
      for (const [tag, t] of this.#sent) if (t > l.since && t < end && !l.got.has(tag)) missing++;
    }
    const d = this.delivery.summary();
    const r = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
    return {
      sent: this.#sent.size,
      delivered: this.delivered,
      duplicates: this.duplicates,
      missing,
      deliveryMs: { p50: r(d.p50), p99: r(d.p99) },
    };
  }
}
