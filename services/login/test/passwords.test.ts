import assert from "node:assert/strict";
import { test } from "node:test";
import { createPasswordHasher } from "../src/passwords.js";

test("the default cost is OWASP's scrypt (N=2^17, r=8, p=1) and verifies only the right password", async () => {
  const hasher = createPasswordHasher({ logN: 17, concurrency: 2, queue: 8 });
  const stored = await hasher.hash("correct horse battery");
  assert.match(stored, /^scrypt\$17\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  const [right, wrong] = await Promise.all([
    hasher.verify("correct horse battery", stored),
    hasher.verify("correct horse batterz", stored),
  ]);
  assert.equal(right, true);
  assert.equal(wrong, false);
  assert.equal(hasher.needsRehash(stored), false);
});

test("two hashes of one password differ (random salt); composed and decomposed accents match", async () => {
  const hasher = createPasswordHasher({ logN: 14, concurrency: 2, queue: 8 });
  const a = await hasher.hash("caf\u00e9 au lait");
  assert.notEqual(a, await hasher.hash("caf\u00e9 au lait"));
  assert.equal(await hasher.verify("cafe\u0301 au lait", a), true);
});

test("no more than `concurrency` hashes run at once; the rest wait their turn", async () => {
  const hasher = createPasswordHasher({ logN: 14, concurrency: 2, queue: 10 });
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
  const hasher = createPasswordHasher({ logN: 14, concurrency: 1, queue: 1 });
  const first = hasher.hash("one one one");
  const second = hasher.hash("two two two");
  await assert.rejects(hasher.hash("three three"), { code: "STARLANE_ERR_UNAVAILABLE" });
  await Promise.all([first, second]);
  await hasher.hash("four four four"); // the queue drained: accepted again
});

test("a dummy compare refused while the queue is full works once the queue drains", async () => {
  const hasher = createPasswordHasher({ logN: 14, concurrency: 1, queue: 0 });
  const busy = hasher.hash("keeps the only slot");
  await assert.rejects(hasher.verifyDummy("unknown account"), { code: "STARLANE_ERR_UNAVAILABLE" });
  await busy;
  assert.equal(await hasher.verifyDummy("unknown account"), false);
});

test("a malformed or weaker stored hash never verifies by accident, and asks for a rehash", async () => {
  const hasher = createPasswordHasher({ logN: 15, concurrency: 1, queue: 4 });
  for (const bad of ["", "plain", "scrypt$17$8$1$$", "bcrypt$whatever"]) {
    assert.equal(await hasher.verify("anything at all", bad), false, bad);
    assert.equal(hasher.needsRehash(bad), true, bad);
  }
  // Well-formed but with a truncated key: compared without throwing, never equal.
  assert.equal(await hasher.verify("anything at all", "scrypt$15$8$1$AAAA$AAAA"), false);
  const weaker = await createPasswordHasher({ logN: 14, concurrency: 1, queue: 1 }).hash("old password");
  assert.equal(await hasher.verify("old password", weaker), true);
  assert.equal(hasher.needsRehash(weaker), true);
  assert.equal(await hasher.verifyDummy("old password"), false);
});
