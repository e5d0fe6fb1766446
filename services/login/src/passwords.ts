// Password hashing: Argon2id (OWASP's first choice: m = 19 MiB, t = 2, p = 1; ~20 ms a hash) for
// every new hash. `@node-rs/argon2` runs each hash as an async native task on libuv's threadpool,
// never on the event loop; a semaphore caps how many run at once so a log-in burst cannot take
// every threadpool thread (fs, dns and zlib share them) or the memory, and a bounded queue turns a
// burst beyond that into 503s instead of unbounded latency. Hashes from before Argon2id (scrypt)
// still verify, and `needsRehash` says so, so log-in upgrades them.
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { type Algorithm, hash as argon2Hash, verify as argon2Verify, parseOptions } from "@node-rs/argon2";
import { StarlaneError } from "@starlane/shared";

// `Algorithm` is a const enum, which isolated-module builds cannot inline; 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

export interface Argon2Params {
  /** Memory per hash, KiB. */
  memoryKiB: number;
  /** Passes over the memory. */
  timeCost: number;
  /** Lanes (threads) per hash. */
  parallelism: number;
}

/** OWASP's first-choice Argon2id parameters. */
export const OWASP_ARGON2ID: Argon2Params = { memoryKiB: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasherOptions {
  argon2: Argon2Params;
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
  /** True when `stored` is not an Argon2id hash with exactly the current parameters. */
  needsRehash(stored: string): boolean;
  readonly running: number;
  readonly waiting: number;
}

// Legacy scrypt hashes: scrypt$<logN>$<r>$<p>$<salt b64url>$<key b64url>. Verified, never made.
const SCRYPT_KEY_LENGTH = 32;
const SCRYPT_FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** undefined when `stored` is not a scrypt hash; else the check, to run inside a slot. */
function scryptCheck(password: string, stored: string): (() => Promise<boolean>) | undefined {
  const m = SCRYPT_FORMAT.exec(stored);
  if (!m) return undefined;
  const logN = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  const salt = Buffer.from(m[4]!, "base64url");
  const expected = Buffer.from(m[5]!, "base64url");
  // Past 2^20 (1 GiB at r=8) a stored hash would be a denial of service, not a password.
  if (expected.length !== SCRYPT_KEY_LENGTH || logN < 1 || logN > 20 || r < 1 || r > 16 || p !== 1) {
    return () => Promise.resolve(false);
  }
  return () =>
    new Promise((resolve, reject) => {
      const N = 2 ** logN;
      // scrypt needs 128*N*r bytes; node's default maxmem (32 MiB) refuses N=2^17.
      const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r + 16 * 1024 * 1024 };
      scrypt(password.normalize("NFKC"), salt, SCRYPT_KEY_LENGTH, options, (err, key) =>
        err ? reject(err) : resolve(timingSafeEqual(key, expected)),
      );
    });
}

function argon2Params(stored: string): Argon2Params | undefined {
  if (!stored.startsWith("$argon2id$")) return undefined;
  try {
    const o = parseOptions(stored);
    return { memoryKiB: o.memoryCost, timeCost: o.timeCost, parallelism: o.parallelism };
  } catch {
    return undefined;
  }
}

export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const params = options.argon2;
  const argon2Options = {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
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
  const hash = (password: string) => slot(() => argon2Hash(password.normalize("NFKC"), argon2Options));
  const verify = async (password: string, stored: string) => {
    const stored2 = argon2Params(stored);
    if (stored2) {
      // A stored hash may name any cost; one beyond ours (a tampered row) would let one log-in
      // take the memory of many: refuse it rather than compute it.
      if (stored2.memoryKiB > Math.max(params.memoryKiB, OWASP_ARGON2ID.memoryKiB) * 4) return false;
      return slot(() => argon2Verify(stored, password.normalize("NFKC")).catch(() => false));
    }
    const legacy = scryptCheck(password, stored);
    return legacy ? slot(legacy) : false;
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
      const p = argon2Params(stored);
      return (
        !p || p.memoryKiB !== params.memoryKiB || p.timeCost !== params.timeCost || p.parallelism !== params.parallelism
      );
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
  };
}
