// The byte-aligned frame around the cells' bit-packed chunks (shared/PROTOCOL.md, "Zone state
// frames"). One frame per client per tick:
//   u8 version | u8 flags (1 reset, 2 private, 4 hold) | varint tick
//   [Reset]   string region | u8 tickHz | u32 drag (16.16)
//   [Private] u8 mask, then the fields whose bit is set: 1 varint ack | 2 u8 hull | 4 varint cargo |
//             8 varint credits | 16 u8 holdLevel; bit 32: present (no field). A reset frame's private
//             part has every field; otherwise only those that changed since the client's last frame.
//   varint drops, that many varint cell keys (cells the client no longer sees)
//   until the end: varint cell key | varint length | chunk (a cell's full state or delta)
// Varints are unsigned LEB128 (7 bits a byte, low group first).
import { WireError } from "./bits.js";
import { FrameFlag, WIRE_VERSION } from "./format.js";

/** The own ship's private state, in the client's own part of the frame. */
export interface PrivatePart {
  ack: number;
  hull: number;
  cargo: number;
  credits: number;
  holdLevel: number;
  /** The ship is simulated by this room (false: elsewhere or not yet here). */
  present: boolean;
}

export interface ResetHeader {
  region: string;
  tickHz: number;
  drag: number;
}

export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
  }

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v & 255;
  }

  varint(v: number): void {
    this.room(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  u32(v: number): void {
    this.room(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setUint32(this.pos, v >>> 0);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.varint(b.length);
    this.bytes(b);
  }
}

export class ByteReader {
  pos: number;
  readonly #buf: Uint8Array;

  constructor(buf: Uint8Array, pos = 0) {
    this.#buf = buf;
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.#buf.length;
  }

  u8(): number {
    if (this.pos >= this.#buf.length) throw new WireError("truncated frame");
    return this.#buf[this.pos++]!;
  }

  varint(): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.u8();
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
    throw new WireError("corrupt frame: a varint longer than 5 bytes");
  }

  u32(): number {
    if (this.pos + 4 > this.#buf.length) throw new WireError("truncated frame");
    const v = new DataView(this.#buf.buffer, this.#buf.byteOffset).getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number): Uint8Array {
    if (this.pos + n > this.#buf.length) throw new WireError("truncated frame");
    const out = this.#buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const b = this.bytes(this.varint());
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(b);
    } catch {
      throw new WireError("corrupt frame: a string is not UTF-8");
    }
  }
}

/**
 * The frame header. `priv`: the private part to send (null: unchanged); `prev`: the one the client
 * has (null on a reset: every field is sent).
 */
export function writeHeader(
  w: ByteWriter,
  tick: number,
  reset: ResetHeader | null,
  priv: PrivatePart | null,
  prev: PrivatePart | null = null,
  hold = false,
): void {
  w.u8(WIRE_VERSION);
  w.u8((reset ? FrameFlag.Reset : 0) | (priv ? FrameFlag.Private : 0) | (hold ? FrameFlag.Hold : 0));
  w.varint(tick);
  if (reset) {
    w.string(reset.region);
    w.u8(reset.tickHz);
    w.u32(reset.drag);
  }
  if (priv) {
    const p = prev ?? undefined;
    const mask =
      (!p || p.ack !== priv.ack ? 1 : 0) |
      (!p || p.hull !== priv.hull ? 2 : 0) |
      (!p || p.cargo !== priv.cargo ? 4 : 0) |
      (!p || p.credits !== priv.credits ? 8 : 0) |
      (!p || p.holdLevel !== priv.holdLevel ? 16 : 0) |
      (priv.present ? 32 : 0);
    w.u8(mask);
    if (mask & 1) w.varint(priv.ack);
    if (mask & 2) w.u8(Math.min(255, Math.max(0, priv.hull)));
    if (mask & 4) w.varint(priv.cargo);
    if (mask & 8) w.varint(priv.credits);
    if (mask & 16) w.u8(priv.holdLevel);
  }
}

/** Whether the private part changed since `prev` (a frame without a change carries none). */
export function privateChanged(prev: PrivatePart | null, p: PrivatePart): boolean {
  return (
    !prev ||
    prev.ack !== p.ack ||
    prev.hull !== p.hull ||
    prev.cargo !== p.cargo ||
    prev.credits !== p.credits ||
    prev.holdLevel !== p.holdLevel ||
    prev.present !== p.present
  );
}

export interface Header {
  tick: number;
  /** No prediction step this frame. */
  hold: boolean;
  reset: ResetHeader | null;
  priv: PrivatePart | null;
}

/** Reads a frame header; `prev` is the private part the client has (a partial one is merged into it). */
export function readHeader(r: ByteReader, prev: PrivatePart | null = null): Header {
  const version = r.u8();
  if (version !== WIRE_VERSION)
    throw new WireError(`unknown frame version ${version} (this decoder reads ${WIRE_VERSION})`);
  const flags = r.u8();
  if (flags & ~(FrameFlag.Reset | FrameFlag.Private | FrameFlag.Hold))
    throw new WireError(`corrupt frame: unknown flags ${flags}`);
  const tick = r.varint();
  const reset = flags & FrameFlag.Reset ? { region: r.string(), tickHz: r.u8(), drag: r.u32() } : null;
  if (reset && reset.tickHz === 0) throw new WireError("corrupt frame: tick rate 0");
  let priv: PrivatePart | null = null;
  if (flags & FrameFlag.Private) {
    const mask = r.u8();
    if (mask & 0xc0) throw new WireError("corrupt frame: private part mask");
    const base = reset ? null : prev;
    if (!base && (mask & 31) !== 31) throw new WireError("corrupt frame: a partial private part without a full one");
    priv = {
      ack: mask & 1 ? r.varint() : base!.ack,
      hull: mask & 2 ? r.u8() : base!.hull,
      cargo: mask & 4 ? r.varint() : base!.cargo,
      credits: mask & 8 ? r.varint() : base!.credits,
      holdLevel: mask & 16 ? r.u8() : base!.holdLevel,
      present: (mask & 32) !== 0,
    };
  }
  return { tick, reset, priv, hold: (flags & FrameFlag.Hold) !== 0 };
}

/**
 * Reads only a frame's header and private part (a thin client: its own ship's ack, hull, cargo,
 * credits, without decoding the cells). Pass the private part from the previous frame: a frame
 * carries only the fields that changed.
 */
export function peekFrame(frame: Uint8Array, prev: PrivatePart | null = null): Header {
  return readHeader(new ByteReader(frame), prev);
}
