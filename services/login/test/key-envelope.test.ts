// Signing keys at rest: sealed with the key-encryption key in PostgreSQL, usable only with it;
// keys stored in the clear before are sealed at the next boot; a wrong or missing KEK stops the
// boot naming the setting.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createTokenVerifier, loadMigrations, migrate } from "@starlane/shared";
import { createKeyEnvelope, parseKeyEncryptionKey } from "../src/key-envelope.js";
import { loadSigningKeys } from "../src/keys.js";
import { databaseFixture, type Fixture } from "./helpers.js";

let fx: Fixture;
before(async () => {
  fx = await databaseFixture();
  await migrate(fx.pool, "login", loadMigrations(fileURLToPath(new URL("../migrations", import.meta.url))));
});
after(() => fx.close());

const kek = randomBytes(32);
const rows = async () =>
  (
    await fx.pool.query<{ kid: string; private_jwk: Record<string, unknown> }>(
      "SELECT kid, private_jwk FROM login_signing_keys ORDER BY seq",
    )
  ).rows;
const account = { id: "7c1f3c1e-0000-4000-8000-000000000001", name: "Sealed" };

test("keys made with a KEK are stored sealed: no private key material in the row; they sign and verify", async () => {
  await fx.pool.query("DELETE FROM login_signing_keys");
  const keys = await loadSigningKeys(fx.pool, createKeyEnvelope(kek));
  await keys.rotate();
  for (const row of await rows()) {
    assert.equal(row.private_jwk.sealed, "A256GCM");
    assert.equal(row.private_jwk.d, undefined, "the private scalar is not in the clear");
    assert.ok(!JSON.stringify(row.private_jwk).includes('"d"'));
  }
  const token = await keys.signAccess(account, 60);
  assert.equal((await createTokenVerifier({ keys: keys.getKey }).verify(token)).sub, account.id);
  // Another instance with the same KEK signs with the same key.
  const again = await loadSigningKeys(fx.pool, createKeyEnvelope(kek));
  assert.deepEqual(again.jwks(), keys.jwks());
});

test("a wrong KEK, or none, stops the boot naming the setting; a sealed key moved to another row does not open", async () => {
  await assert.rejects(loadSigningKeys(fx.pool, createKeyEnvelope(randomBytes(32))), (err: Error) => {
    assert.match(
      err.message,
      /STARLANE_LOGIN_KEY_ENCRYPTION_KEY: the signing keys in PostgreSQL were sealed with key [0-9a-f]{16}, this one is/,
    );
    return true;
  });
  await assert.rejects(
    loadSigningKeys(fx.pool),
    /STARLANE_LOGIN_KEY_ENCRYPTION_KEY: the signing keys in PostgreSQL are sealed/,
  );
  const [a, b] = await rows();
  const envelope = createKeyEnvelope(kek);
  assert.throws(() => envelope.open(a!.private_jwk as never, b!.kid), "bound to its kid");
});

test("keys stored in the clear (before encryption at rest) are sealed at the next boot and keep working", async () => {
  await fx.pool.query("DELETE FROM login_signing_keys");
  const clear = await loadSigningKeys(fx.pool);
  assert.ok(
    (await rows()).every((r) => typeof r.private_jwk.d === "string"),
    "stored in the clear without a KEK",
  );
  const before = await clear.signAccess(account, 60);
  const sealed = await loadSigningKeys(fx.pool, createKeyEnvelope(kek));
  assert.ok((await rows()).every((r) => r.private_jwk.sealed === "A256GCM" && r.private_jwk.d === undefined));
  assert.deepEqual(sealed.jwks(), clear.jwks(), "the same keys, only sealed");
  assert.equal((await createTokenVerifier({ keys: sealed.getKey }).verify(before)).sub, account.id);
});

test("the KEK setting takes 32 bytes as hex or base64url and never echoes the value", () => {
  const hex = "ab".repeat(32);
  assert.equal(parseKeyEncryptionKey(hex, "K").length, 32);
  assert.equal(parseKeyEncryptionKey(randomBytes(32).toString("base64url"), "K").length, 32);
  assert.equal(parseKeyEncryptionKey(`${randomBytes(32).toString("base64")}\n`, "K").length, 32);
  for (const bad of ["", "short", "ab".repeat(31), "zz".repeat(32), randomBytes(16).toString("base64url")]) {
    assert.throws(
      () => parseKeyEncryptionKey(bad, "STARLANE_LOGIN_KEY_ENCRYPTION_KEY"),
      (err: Error) =>
        err.message.includes("STARLANE_LOGIN_KEY_ENCRYPTION_KEY") && (bad === "" || !err.message.includes(bad)),
    );
  }
});
