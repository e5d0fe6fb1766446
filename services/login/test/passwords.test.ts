import assert from "node:assert/strict";
import { randomBytes, scryptSync } from "node:crypto";
import { test } from "node:test";
import { createPasswordHasher, OWASP_ARGON2ID } from "../src/passwords.js";

// Cheap Argon2id for the tests that are about the pool, not the cost (the cost is tested once).
const CHEAP = { memoryKiB: 1024, timeCost: 1, parallelism: 1 };

/** A hash in the format login wrote before Argon2id, made here without the hasher. */
function legacyScrypt(password: string, logN = 14): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize("NFKC"), salt, 32, { N: 2 ** logN, r: 8, p: 1, maxmem: 256 * 1024 * 1024 });
  return `scrypt$${logN}$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

test("the default cost is OWASP's Argon2id (m=19 MiB, t=2, p=1) and verifies only the right password", async () => {
  const hasher = createPasswordHasher({ argon2: OWASP_ARGON2ID, concurrency: 2, queue: 8 });
  const stored = await hasher.hash("correct horse battery");
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  const [right, wrong] = await Promise.all([
    hasher.verify("correct horse battery", stored),
    hasher.verify("correct horse batterz", stored),
  ]);
  assert.equal(right, true);
  assert.equal(wrong, false);
  assert.equal(hasher.needsRehash(stored), false);
});

test("hashing never stalls the event loop: timers keep firing while hashes run", async () => {
  const hasher = createPasswordHasher({ argon2: OWASP_ARGON2ID, concurrency: 2, queue: 8 });
  let turns = 0;
  let spinning = true;
  const spin = () => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const started = performance.now();
  await Promise.all(Array.from({ length: 6 }, (_, i) => hasher.hash(`password ${i}`)));
  const ms = performance.now() - started;
  spinning = false;
  // Six ~20 ms hashes on the event loop would let about one turn through per hash. Off the loop, it
  // spins all along: hundreds of turns on a quiet machine. Counted over all six (not one hash) so
  // that a CI run starving this process of CPU for a moment does not decide it (CI once saw 1 turn
  // during a single hash).
  assert.ok(turns > 30, `event loop turns during six hashes (${ms.toFixed(0)} ms): ${turns}`);
});

test("two hashes of one password differ (random salt); composed and decomposed accents match", async () => {
  const hasher = createPasswordHasher({ argon2: CHEAP, concurrency: 2, queue: 8 });
  const a = await hasher.hash("caf\u00e9 au lait");
  assert.notEqual(a, await hasher.hash("caf\u00e9 au lait"));
  assert.equal(await hasher.verify("cafe\u0301 au lait", a), true);
});

test("no more than `concurrency` hashes run at once; the rest wait their turn", async () => {
  const hasher = createPasswordHasher({ argon2: CHEAP, concurrency: 2, queue: 10 });
  const work = Array.from({ length: 6 }, (_, i) => hasher.hash(`password ${i}`));
  assert.equal(hasher.running, 2);
  assert.equal(hasher.waiting, 4);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, hasher.running)), 1);
  const hashes = await Promise.all(work);
  clearInterval(sampler);
  assert.ok(peak <= 2, `peak ${peak}`);
  assert.equal(new Set(hashes).size, 6);
  assert.equal(hasher.running, 0);
  assert.equal(hasher.waiting, 0);
});

test("past the queue, hashing is refused with UNAVAILABLE instead of piling up", async () => {
  const hasher = createPasswordHasher({ argon2: CHEAP, concurrency: 1, queue: 1 });
  const first = hasher.hash("one one one");
  const second = hasher.hash("two two two");
  await assert.rejects(hasher.hash("three three"), { code: "STARLANE_ERR_UNAVAILABLE" });
  await Promise.all([first, second]);
  await hasher.hash("four four four"); // the queue drained: accepted again
});

test("a dummy compare refused while the queue is full works once the queue drains", async () => {
  const hasher = createPasswordHasher({ argon2: CHEAP, concurrency: 1, queue: 0 });
  const busy = hasher.hash("keeps the only slot");
  await assert.rejects(hasher.verifyDummy("unknown account"), { code: "STARLANE_ERR_UNAVAILABLE" });
  await busy;
  assert.equal(await hasher.verifyDummy("unknown account"), false);
});

test("a malformed stored hash never verifies by accident, and asks for a rehash", async () => {
  const hasher = createPasswordHasher({ argon2: CHEAP, concurrency: 1, queue: 4 });
  for (const bad of ["", "plain", "scrypt$17$8$1$$", "bcrypt$whatever", "$argon2id$v=19$m=1024,t=1,p=1$$"]) {
    assert.equal(await hasher.verify("anything at all", bad), false, bad);
    assert.equal(hasher.needsRehash(bad), true, bad);
  }
  // Well-formed but with a truncated key: compared without throwing, never equal.
  assert.equal(await hasher.verify("anything at all", "scrypt$15$8$1$AAAA$AAAA"), false);
  // A stored cost far beyond ours (a tampered row) is refused, not computed.
  const huge = (await hasher.hash("pw pw pw")).replace("m=1024", "m=4000000");
  assert.equal(await hasher.verify("pw pw pw", huge), false);
});

test("scrypt hashes from before Argon2id still verify, and ask for a rehash", async () => {
  const hasher = createPasswordHasher({ argon2: CHEAP, concurrency: 1, queue: 4 });
  const old = legacyScrypt("old password");
  assert.equal(await hasher.verify("old password", old), true);
  assert.equal(await hasher.verify("old passworD", old), false);
  assert.equal(hasher.needsRehash(old), true);
});

test("an Argon2id hash with other settings verifies and asks for a rehash; the current one does not", async () => {
  const hasher = createPasswordHasher({ argon2: { ...CHEAP, timeCost: 2 }, concurrency: 1, queue: 4 });
  const older = await createPasswordHasher({ argon2: CHEAP, concurrency: 1, queue: 1 }).hash("old password");
  assert.equal(await hasher.verify("old password", older), true);
  assert.equal(hasher.needsRehash(older), true);
  assert.equal(hasher.needsRehash(await hasher.hash("old password")), false);
  assert.equal(await hasher.verifyDummy("old password"), false);
});
