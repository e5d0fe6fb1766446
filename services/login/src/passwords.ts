// Password hashing: scrypt at OWASP's cost (N=2^17, r=8, p=1: 128 MiB and a few hundred ms each) on
// libuv's threadpool, never on the event loop. A semaphore caps how many run at once so a login
// burst cannot take every threadpool thread (fs, dns and zlib share them) or all the memory; a
// bounded queue turns a burst beyond that into 503s instead of unbounded latency.
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from "node:crypto";
import { StarlaneError } from "@starlane/shared";

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

export interface PasswordHasherOptions {
  /** log2 of scrypt's N. */
  logN: number;
  /** Hashes running at once. */
  concurrency: number;
  /** Hashes allowed to wait for a slot; past this `hash`/`verify` reject with UNAVAILABLE. */
  queue: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Compares in constant time. A malformed stored hash counts as a mismatch. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Burns the same time as a real verify, for unknown accounts. */
  verifyDummy(password: string): Promise<false>;
  /** True when `stored` was made with a lower cost than the current one. */
  needsRehash(stored: string): boolean;
  readonly running: number;
  readonly waiting: number;
}

interface Params {
  logN: number;
  r: number;
  p: number;
}

const derive = (password: string, salt: Buffer, { logN, r, p }: Params) =>
  new Promise<Buffer>((resolve, reject) => {
    const N = 2 ** logN;
    // scrypt needs 128*N*r bytes; node's default maxmem (32 MiB) refuses N=2^17.
    const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r + 16 * 1024 * 1024 };
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });

// Stored as scrypt$<logN>$<r>$<p>$<salt b64url>$<key b64url>, so the cost can be raised later.
const FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function parse(stored: string): (Params & { salt: Buffer; key: Buffer }) | undefined {
  const m = FORMAT.exec(stored);
  if (!m) return undefined;
  return {
    logN: Number(m[1]),
    r: Number(m[2]),
    p: Number(m[3]),
    salt: Buffer.from(m[4]!, "base64url"),
    key: Buffer.from(m[5]!, "base64url"),
  };
}

export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const params: Params = { logN: options.logN, r: 8, p: 1 };
  let running = 0;
  const waiting: (() => void)[] = [];

  async function slot<T>(work: () => Promise<T>): Promise<T> {
    if (running >= options.concurrency) {
      if (waiting.length >= options.queue) throw new StarlaneError("STARLANE_ERR_UNAVAILABLE");
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }

  // A real hash of a random password, made once at the current cost: unknown accounts compare
  // against it so they take as long as known ones.
  let dummy: Promise<string> | undefined;
  const hash = (password: string) =>
    slot(async () => {
      const salt = randomBytes(SALT_LENGTH);
      const key = await derive(password, salt, params);
      return `scrypt$${params.logN}$${params.r}$${params.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
    });
  const verify = async (password: string, stored: string) => {
    const parsed = parse(stored);
    if (!parsed || parsed.key.length !== KEY_LENGTH) return false;
    const key = await slot(() => derive(password, parsed.salt, parsed));
    return timingSafeEqual(key, parsed.key);
  };

  return {
    hash,
    verify,
    async verifyDummy(password) {
      if (!dummy) {
        dummy = hash(randomBytes(16).toString("hex"));
        // A refused first attempt (queue full) must not leave a rejected dummy behind for good.
        dummy.catch(() => {
          dummy = undefined;
        });
      }
      await verify(password, await dummy);
      return false;
    },
    needsRehash(stored) {
      const parsed = parse(stored);
      return !parsed || parsed.logN < params.logN || parsed.r < params.r;
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
  };
}
