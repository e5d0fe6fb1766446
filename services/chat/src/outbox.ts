// Everything sent to a connection waits in its outbox until the end of this turn of the event loop,
// then goes out as one frame, one JSON message per line: a burst of bus events costs each receiver
// one frame and one write, not one per message (the profile's top item was the per-message send;
// receivers pay per frame too). The more load, the bigger the batches.
import type { Ws } from "./connection.js";

/** A message already encoded: JSON text, or its UTF-8 bytes (a channel payload encoded once). */
export type Frame = string | Uint8Array;

const NEWLINE = Buffer.from("\n");

export class Outboxes {
  readonly #waiting = new Map<Ws, Frame[]>();
  #flushing = false;

  /** Queues `message` for `ws` (nothing for a closed one); the frame leaves at the end of this turn. */
  send(ws: Ws, message: object | Frame): void {
    if (ws.getUserData().closed) return;
    const data = typeof message === "string" || message instanceof Uint8Array ? message : JSON.stringify(message);
    const frames = this.#waiting.get(ws);
    if (frames) frames.push(data);
    else this.#waiting.set(ws, [data]);
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Sends what is waiting for `ws` now (before it is closed). */
  flushNow(ws: Ws): void {
    const frames = this.#waiting.get(ws);
    if (!frames) return;
    this.#waiting.delete(ws);
    flushOne(ws, frames);
  }

  /** Forgets `ws`'s waiting frames: a closed uWS socket may not be touched again. */
  forget(ws: Ws): void {
    this.#waiting.delete(ws);
  }

  #flush(): void {
    this.#flushing = false;
    for (const [ws, frames] of this.#waiting) flushOne(ws, frames);
    this.#waiting.clear();
  }
}

function flushOne(ws: Ws, frames: Frame[]): void {
  if (ws.getUserData().closed) return;
  if (frames.length === 1) {
    ws.cork(() => ws.send(frames[0]!, false));
    return;
  }
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    if (parts.length > 0) parts.push(NEWLINE);
    parts.push(typeof f === "string" ? Buffer.from(f) : f);
  }
  const batch = Buffer.concat(parts);
  ws.cork(() => ws.send(batch, false));
}
