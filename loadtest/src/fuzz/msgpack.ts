// A small MessagePack encoder of our own, so the fuzzer can write what a well-behaved encoder
// would not: NaN and ±Infinity as float64, integers at and past 2^53 as uint64, -0, deep nesting,
// lengths that lie (truncation). Only what the frames need.

export type Packable = null | boolean | number | bigint | string | Packable[] | { [key: string]: Packable };

function pushUint(out: number[], v: number | bigint, bytes: number): void {
  let b = BigInt(v);
  const tmp: number[] = [];
  for (let i = 0; i < bytes; i++) {
    tmp.unshift(Number(b & 0xffn));
    b >>= 8n;
  }
  out.push(...tmp);
}

function float64(out: number[], v: number): void {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  out.push(0xcb, ...new Uint8Array(view.buffer));
}

function header(out: number[], len: number, fix: number, fixMax: number, c16: number, c32: number, c8?: number) {
  if (len <= fixMax) out.push(fix | len);
  else if (c8 !== undefined && len <= 0xff) out.push(c8, len);
  else if (len <= 0xffff) {
    out.push(c16);
    pushUint(out, len, 2);
  } else {
    out.push(c32);
    pushUint(out, len, 4);
  }
}

export function pack(value: Packable, out: number[] = []): number[] {
  if (value === null) out.push(0xc0);
  else if (value === true) out.push(0xc3);
  else if (value === false) out.push(0xc2);
  else if (typeof value === "bigint") {
    if (value >= 0n) {
      out.push(0xcf);
      pushUint(out, value, 8);
    } else {
      out.push(0xd3);
      pushUint(out, BigInt.asUintN(64, value), 8);
    }
  } else if (typeof value === "number") {
    // -0 is an integer to JavaScript but only a float keeps its sign.
    if (!Number.isInteger(value) || Object.is(value, -0)) float64(out, value);
    else if (value >= 0 && value < 128) out.push(value);
    else if (value < 0 && value >= -32) out.push(value & 0xff);
    else if (value >= 0 && value <= 0xffffffff) {
      out.push(0xce);
      pushUint(out, value, 4);
    } else float64(out, value);
  } else if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    header(out, bytes.length, 0xa0, 31, 0xda, 0xdb, 0xd9);
    out.push(...bytes);
  } else if (Array.isArray(value)) {
    header(out, value.length, 0x90, 15, 0xdc, 0xdd);
    for (const v of value) pack(v, out);
  } else {
    const keys = Object.keys(value);
    header(out, keys.length, 0x80, 15, 0xde, 0xdf);
    for (const k of keys) {
      pack(k, out);
      pack(value[k]!, out);
    }
  }
  return out;
}
