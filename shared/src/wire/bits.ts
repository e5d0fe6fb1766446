// Bit-level writer and reader for the zone wire format (shared/PROTOCOL.md, "Zone state frames").
// Fields are written most significant bit first; a frame's sections are byte-aligned. The variable
// length code `uvar` favours the small numbers deltas and residuals mostly are:
//   0            "0"                 (1 bit)
//   1..4         "10"   + 2 bits     (4 bits)
//   5..68        "110"  + 6 bits     (9 bits)
//   69..4164     "1110" + 12 bits    (16 bits)
//   otherwise    "1111" + 32 bits    (36 bits)
// `svar` is `uvar` of the zigzag form (0, -1, 1, -2, 2 ... -> 0, 1, 2, 3, 4 ...).

/** A frame the decoder refuses (truncated, corrupt, unknown version). */
export class WireError extends Error {
  override name = "WireError";
}

export class BitWriter {
  #buf: Uint8Array;
  #byte = 0;
  /** Bits already used in the current (partial) byte. */
  #bit = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  /** Bytes written so far (a partial last byte counts). */
  get length(): number {
    return this.#byte + (this.#bit > 0 ? 1 : 0);
  }

  reset(): void {
    this.#byte = 0;
    this.#bit = 0;
    this.#buf.fill(0, 0, Math.min(this.#buf.length, 64));
  }

  #room(bytes: number): void {
    const need = this.#byte + bytes + 1;
    if (need <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(need, this.#buf.length * 2));
    next.set(this.#buf);
    this.#buf = next;
  }

  /** Writes the low `n` bits of `v` (0 <= n <= 32, v >= 0). */
  bits(v: number, n: number): void {
    if (n > 24) {
      this.bits(Math.floor(v / 0x10000) & 0xffff, n - 16);
      this.bits(v & 0xffff, 16);
      return;
    }
    this.#room(4);
    const buf = this.#buf;
    for (let left = n; left > 0; ) {
      const free = 8 - this.#bit;
      const take = Math.min(free, left);
      const part = (v >>> (left - take)) & ((1 << take) - 1);
      if (this.#bit === 0) buf[this.#byte] = 0;
      buf[this.#byte]! |= part << (free - take);
      left -= take;
      this.#bit += take;
      if (this.#bit === 8) {
        this.#bit = 0;
        this.#byte++;
      }
    }
  }

  bool(b: boolean): void {
    this.bits(b ? 1 : 0, 1);
  }

  uvar(v: number): void {
    if (v === 0) this.bits(0, 1);
    else if (v <= 4) this.bits((0b10 << 2) | (v - 1), 4);
    else if (v <= 68) this.bits((0b110 << 6) | (v - 5), 9);
    else if (v <= 4164) this.bits((0b1110 << 12) | (v - 69), 16);
    else {
      this.bits(0b1111, 4);
      this.bits(v >>> 0, 32);
    }
  }

  svar(v: number): void {
    this.uvar(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Pads to the next byte boundary with zero bits. */
  align(): void {
    if (this.#bit > 0) {
      this.#bit = 0;
      this.#byte++;
    }
  }

  /** Byte-aligned: `bytes` copied as they are. */
  bytes(bytes: Uint8Array): void {
    this.align();
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#byte);
    this.#byte += bytes.length;
  }

  /**
   * A string: uvar byte length, then its UTF-8 bytes (byte-aligned after the length). An ASCII
   * string (every id and most names) is its own UTF-8: copied as it is, with no encoder call and
   * no allocation (the encoder writes the ids of every entity of a cell a client gains, each tick).
   */
  string(s: string): void {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
    if (!ascii) {
      const b = utf8.encode(s);
      this.uvar(b.length);
      this.bytes(b);
      return;
    }
    this.uvar(n);
    this.align();
    this.#room(n);
    const buf = this.#buf;
    for (let i = 0; i < n; i++) buf[this.#byte + i] = s.charCodeAt(i);
    this.#byte += n;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }

  /** Copies what was written into `out` at `offset`; returns the offset after it. */
  copyTo(out: Uint8Array, offset: number): number {
    const n = this.length;
    out.set(this.#buf.subarray(0, n), offset);
    return offset + n;
  }
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true });

export class BitReader {
  readonly #buf: Uint8Array;
  readonly #end: number;
  #byte: number;
  #bit = 0;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#byte = start;
    this.#end = end;
  }

  /** Byte offset of the next byte-aligned read. */
  get offset(): number {
    return this.#byte + (this.#bit > 0 ? 1 : 0);
  }

  get done(): boolean {
    return this.#byte >= this.#end;
  }

  bits(n: number): number {
    if (n > 24) return this.bits(n - 16) * 0x10000 + this.bits(16);
    let v = 0;
    for (let left = n; left > 0; ) {
      if (this.#byte >= this.#end) throw new WireError("truncated frame");
      const free = 8 - this.#bit;
      const take = Math.min(free, left);
      const part = (this.#buf[this.#byte]! >>> (free - take)) & ((1 << take) - 1);
      v = (v << take) | part;
      left -= take;
      this.#bit += take;
      if (this.#bit === 8) {
        this.#bit = 0;
        this.#byte++;
      }
    }
    return v >>> 0;
  }

  bool(): boolean {
    return this.bits(1) === 1;
  }

  uvar(): number {
    if (this.bits(1) === 0) return 0;
    if (this.bits(1) === 0) return this.bits(2) + 1;
    if (this.bits(1) === 0) return this.bits(6) + 5;
    if (this.bits(1) === 0) return this.bits(12) + 69;
    return this.bits(32);
  }

  svar(): number {
    const z = this.uvar();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  align(): void {
    if (this.#bit > 0) {
      this.#bit = 0;
      this.#byte++;
    }
  }

  bytes(n: number): Uint8Array {
    this.align();
    if (this.#byte + n > this.#end) throw new WireError("truncated frame");
    const out = this.#buf.subarray(this.#byte, this.#byte + n);
    this.#byte += n;
    return out;
  }

  string(): string {
    const n = this.uvar();
    try {
      return utf8d.decode(this.bytes(n));
    } catch (err) {
      if (err instanceof WireError) throw err;
      throw new WireError("corrupt frame: a string is not UTF-8");
    }
  }
}
