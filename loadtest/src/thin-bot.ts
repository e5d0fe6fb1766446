// A thin bot: what a capacity run puts on the zone besides the full bots, so the figure measures the
// server and not the bots' decoding. A plain WebSocket client that takes a seat through matchmaking
// (HTTP joinById with its token), speaks just enough of Colyseus's framing to join and send inputs
// (10/s), reads only its own private part of each state frame (`peekFrame`: its ship's ack, for the
// input-to-ack round trip) and counts the bytes it receives. It does not follow handoffs or decode
// cells; it flies circles so the crowd keeps moving where it is.
import { createRequire } from "node:module";
import { type PrivatePart, peekFrame, WIRE_MESSAGE } from "@starlane/shared/client";
import type { BotContext } from "./bot.js";
import { pack } from "./fuzz/msgpack.js";
import { everyPeriod } from "./schedule.js";

const WebSocketClass = createRequire(import.meta.url)("ws") as new (
  url: string,
) => {
  binaryType: string;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: ArrayBuffer | Buffer }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: (() => void) | null;
  send(data: Uint8Array): void;
  close(): void;
  readyState: number;
};

// Colyseus protocol bytes (shared-types Protocol).
const JOIN_ROOM = 10;
const ROOM_DATA = 13;
const ROOM_DATA_BYTES = 17;
const ROOM_STATE = 14;
const RING = 1024;

/**
 * A thin bot's `input` message: ROOM_DATA, the type as a msgpack fixstr, then the msgpack map
 * {seq, thrust, turn, fire} with `seq` as a uint32 at `INPUT_SEQ_AT` (encoded once per bot: the
 * bench process sends 10,000 inputs/s at 1,000 bots, and encoding each was a tenth of its CPU).
 */
function inputMessage(turn: number): Uint8Array {
  const type = [...new TextEncoder().encode("input")];
  const body = pack({ seq: 0xffffffff, thrust: 0.4, turn, fire: false });
  const bytes = Uint8Array.from([ROOM_DATA, 0xa0 | type.length, ...type, ...body]);
  if (bytes[INPUT_SEQ_AT - 1] !== 0xce) throw new Error("thin bot: the input's seq is not where it was expected");
  return bytes;
}
// ROOM_DATA, fixstr "input" (6), fixmap (1), fixstr "seq" (4), then 0xce and the uint32.
const INPUT_SEQ_AT = 1 + 6 + 1 + 4 + 1;

export interface ThinBotOptions {
  url: string;
  roomId: string;
  shipId: string;
  token: () => Promise<string>;
  ctx: BotContext;
  inputRate?: number;
  joinTimeoutMs?: number;
  /** Turn direction and strength in -1..1 (the circle it flies). */
  turn: number;
  /**
   * Against the stock Colyseus room (schema state, no private part): joined on its first state,
   * no input-to-ack figure (that would need the schema decoder, which is what a thin bot avoids).
   */
  stock?: boolean;
}

export class ThinBot {
  readonly name: string;
  readonly shipId: string;
  connected = false;
  joined = false;
  stopped = false;
  readonly own = { joinMs: null as number | null, bytes: 0, errors: 0, inputs: 0, handoffs: 0, reconnects: 0 };
  lastError: string | null = null;
  readonly #o: ThinBotOptions;
  #ws: InstanceType<typeof WebSocketClass> | null = null;
  #priv: PrivatePart | null = null;
  #seq = 0;
  #highestAck = -1;
  #stopInputs: () => void = () => {};
  #ring = Array.from({ length: RING }, () => ({ seq: -1, t: 0 }));
  readonly #inputBytes: Uint8Array;
  readonly #inputView: DataView;

  constructor(o: ThinBotOptions) {
    this.#o = o;
    this.name = this.shipId = o.shipId;
    this.#inputBytes = inputMessage(o.turn);
    this.#inputView = new DataView(this.#inputBytes.buffer);
  }

  sentAt(seq: number): number | undefined {
    const e = this.#ring[seq % RING]!;
    return e.seq === seq ? e.t : undefined;
  }

  #fail(code: string): void {
    this.#o.ctx.m.error(code);
    this.own.errors++;
    this.lastError = code;
  }

  async start(): Promise<boolean> {
    const m = this.#o.ctx.m;
    const t0 = performance.now();
    m.joinAttempts++;
    try {
      const res = await fetch(`${this.#o.url}/matchmake/joinById/${this.#o.roomId}`, {
        method: "POST",
        headers: { authorization: `Bearer ${await this.#o.token()}`, "content-type": "application/json" },
        body: "{}",
        signal: AbortSignal.timeout(this.#o.joinTimeoutMs ?? 20_000),
      });
      if (!res.ok) throw new Error(`JOIN_${res.status}`);
      const seat = (await res.json()) as { sessionId: string; processId: string; roomId: string };
      const ws = new WebSocketClass(
        `${this.#o.url.replace(/^http/, "ws")}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`,
      );
      ws.binaryType = "nodebuffer"; // a Buffer is a Uint8Array: no copy into an ArrayBuffer per message
      this.#ws = ws;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("JOIN_NO_STATE")), this.#o.joinTimeoutMs ?? 20_000);
        ws.onmessage = (ev) => {
          const b = ev.data as Buffer;
          this.own.bytes += b.length;
          m.bytes += b.length;
          m.messages++;
          if (b[0] === JOIN_ROOM) {
            ws.send(Uint8Array.of(JOIN_ROOM));
          } else if (this.#o.stock && b[0] === ROOM_STATE && !this.joined) {
            clearTimeout(timer);
            resolve();
          } else if (b[0] === ROOM_DATA_BYTES && b[1] === WIRE_MESSAGE) {
            this.#frame(b.subarray(2));
            if (!this.joined && this.#priv?.present) {
              clearTimeout(timer);
              resolve();
            }
          }
        };
        ws.onclose = (ev) => {
          clearTimeout(timer);
          if (this.connected && !this.stopped) this.#fail(`CLOSE_${ev.code}`);
          this.connected = false;
          reject(new Error(`CLOSE_${ev.code}`));
        };
        ws.onerror = () => {};
        ws.onopen = () => {
          this.connected = true;
        };
      });
    } catch (err) {
      this.#fail((err as Error).message.startsWith("JOIN") ? (err as Error).message : "JOIN_FAILED");
      this.#ws?.close();
      return false;
    }
    if (this.stopped) return false;
    this.joined = true;
    this.own.joinMs = performance.now() - t0;
    m.join.add(this.own.joinMs);
    this.#stopInputs = everyPeriod(1000 / (this.#o.inputRate ?? 10), () => this.#input());
    return true;
  }

  #frame(frame: Uint8Array): void {
    let priv: PrivatePart | null;
    try {
      priv = peekFrame(frame, this.#priv).priv;
    } catch (err) {
      this.#fail("WIRE_CORRUPT");
      this.lastError = `WIRE_CORRUPT: ${(err as Error).message}`;
      return;
    }
    if (!priv) return;
    const first = this.#priv === null;
    this.#priv = priv;
    if (first) {
      this.#seq = Math.max(this.#seq, priv.ack);
      this.#highestAck = priv.ack;
      return;
    }
    if (priv.ack > this.#highestAck) {
      const sent = this.sentAt(priv.ack);
      if (sent !== undefined) this.#o.ctx.m.rtt.add(performance.now() - sent);
      if (priv.ack - this.#highestAck > 1) this.#o.ctx.m.inputsLost += priv.ack - this.#highestAck - 1;
      this.#highestAck = priv.ack;
    }
  }

  #input(): void {
    const ws = this.#ws;
    if (!ws || !this.connected || ws.readyState !== 1) return;
    const seq = ++this.#seq;
    // The same bytes each time with the sequence written in (`ws` copies them to mask them).
    this.#inputView.setUint32(INPUT_SEQ_AT, seq);
    ws.send(this.#inputBytes);
    const slot = this.#ring[seq % RING]!;
    slot.seq = seq;
    slot.t = performance.now();
    this.#o.ctx.m.inputsSent++;
    this.own.inputs++;
  }

  async stop(graceMs = 1000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.#stopInputs();
    if (this.connected && this.#highestAck >= 0) {
      const cutoff = performance.now() - graceMs;
      let lost = 0;
      for (let s = this.#highestAck + 1; s <= this.#seq; s++) {
        const t = this.sentAt(s);
        if (t !== undefined && t < cutoff) lost++;
      }
      this.#o.ctx.m.inputsLost += lost;
    }
    this.connected = false;
    this.#ws?.close();
  }
}
