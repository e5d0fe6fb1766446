// The JWT signing keys. They live in PostgreSQL (login_signing_keys) so restarting login, or
// running several instances, keeps every issued token valid. Three keys are published: the
// previous (tokens signed before the last rotation stay valid), the current (signs), and the next
// (signs after the next rotation). Publishing the next key early matters: a verifier that cached
// the key set a moment before a rotation already knows the new signing key, instead of rejecting
// new tokens until its refetch cooldown ends. Rotate less often than the access-token lifetime
// (15 minutes) and the verifiers' cache age (10 minutes) and no valid token is ever refused.
// Private halves are sealed with the key-encryption key (key-envelope.ts) when one is configured.

import { randomUUID } from "node:crypto";
import {
  ACCESS_TOKEN_TYPE,
  ConfigError,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  transaction,
} from "@starlane/shared";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  SignJWT,
} from "jose";
import type pg from "pg";
import { isSealed, KEY_ENCRYPTION_KEY_ENV, type KeyEnvelope } from "./key-envelope.js";

/** Published keys, newest first: next, current, previous. */
const PUBLISHED = 3;
// Serialises key creation and rotation across instances (distinct from the migration lock).
const KEYS_LOCK = 0x4b657973; // "Keys"

export interface SigningKeys {
  /**
   * A signed access token for this account, valid `ttlS` seconds. `loadTest` marks tokens of
   * accounts the operator provisioned for load tests (claim `lt`).
   */
  signAccess(account: { id: string; name: string }, ttlS: number, options?: { loadTest?: boolean }): Promise<string>;
  /** The public keys (current, next, previous) as served at /.well-known/jwks.json. */
  jwks(): JSONWebKeySet;
  /** For verifiers in this process: always the latest published keys, no HTTP round trip. */
  readonly getKey: JWTVerifyGetKey;
  /** Makes a new current key; the old current becomes the previous. Returns the new kid. */
  rotate(): Promise<string>;
  /** Rotates if the last rotation is at least `everyS` seconds old; returns the new kid if it did. */
  rotateIfDue(everyS: number): Promise<string | undefined>;
  /** Rereads the keys (another instance may have rotated them). */
  reload(): Promise<void>;
}

interface Loaded {
  kid: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
  publicJwks: JSONWebKeySet;
  getKey: JWTVerifyGetKey;
}

async function newKeyRow(client: pg.PoolClient, envelope: KeyEnvelope | undefined): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const publicJwk: JWK = { ...pub, kid, alg: TOKEN_ALGORITHM, use: "sig" };
  const privateJwk = await exportJWK(privateKey);
  await client.query("INSERT INTO login_signing_keys (kid, alg, private_jwk, public_jwk) VALUES ($1, $2, $3, $4)", [
    kid,
    TOKEN_ALGORITHM,
    JSON.stringify(envelope ? envelope.seal(privateJwk, kid) : privateJwk),
    JSON.stringify(publicJwk),
  ]);
  return kid;
}

/**
 * With a KEK: seals the private keys stored in the clear (from before encryption at rest) and
 * checks that every sealed one was sealed with this KEK. Without: refuses sealed keys. Either way
 * a mismatch stops the boot with the setting named, instead of failing at the first log-in.
 */
async function checkSealing(db: pg.Pool, envelope: KeyEnvelope | undefined): Promise<void> {
  await locked(db, async (client) => {
    const { rows } = await client.query<{ kid: string; private_jwk: unknown }>(
      "SELECT kid, private_jwk FROM login_signing_keys ORDER BY seq",
    );
    for (const row of rows) {
      if (!isSealed(row.private_jwk)) {
        if (!envelope) continue;
        await client.query("UPDATE login_signing_keys SET private_jwk = $2 WHERE kid = $1", [
          row.kid,
          JSON.stringify(envelope.seal(row.private_jwk as JWK, row.kid)),
        ]);
      } else if (!envelope) {
        throw new ConfigError(
          KEY_ENCRYPTION_KEY_ENV,
          `the signing keys in PostgreSQL are sealed (key ${row.private_jwk.kek}); set the key-encryption key they were sealed with`,
        );
      } else if (row.private_jwk.kek !== envelope.id) {
        throw new ConfigError(
          KEY_ENCRYPTION_KEY_ENV,
          `the signing keys in PostgreSQL were sealed with key ${row.private_jwk.kek}, this one is ${envelope.id}: set the key they were sealed with`,
        );
      }
    }
  });
}

/** A transaction holding the keys lock, so two instances never rotate at once. */
function locked<T>(db: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return transaction(db, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [KEYS_LOCK]);
    return work(client);
  });
}

async function rotateIn(client: pg.PoolClient, envelope: KeyEnvelope | undefined): Promise<void> {
  await newKeyRow(client, envelope);
  // Keys past the published ones can verify nothing any more: do not keep their private halves.
  await client.query(
    "DELETE FROM login_signing_keys WHERE seq NOT IN (SELECT seq FROM login_signing_keys ORDER BY seq DESC LIMIT $1)",
    [PUBLISHED],
  );
}

/**
 * Loads the keys, creating the first one if there is none (once, even with two instances booting).
 * With `envelope`, private keys are sealed at rest (and any stored in the clear are sealed now).
 */
export async function loadSigningKeys(db: pg.Pool, envelope?: KeyEnvelope): Promise<SigningKeys> {
  await checkSealing(db, envelope);
  const privateJwk = (row: { kid: string; private_jwk: unknown }): JWK => {
    if (!isSealed(row.private_jwk)) return row.private_jwk as JWK;
    if (!envelope) throw new ConfigError(KEY_ENCRYPTION_KEY_ENV, "the signing keys in PostgreSQL are sealed");
    return envelope.open(row.private_jwk, row.kid);
  };
  const read = async (): Promise<Loaded | undefined> => {
    const { rows } = await db.query<{ kid: string; alg: string; private_jwk: unknown; public_jwk: JWK }>(
      "SELECT kid, alg, private_jwk, public_jwk FROM login_signing_keys WHERE alg = $1 ORDER BY seq DESC LIMIT $2",
      [TOKEN_ALGORITHM, PUBLISHED],
    );
    const [next, current, previous] = rows;
    if (!next || !current) return undefined;
    const publicJwks = { keys: [current, next, ...(previous ? [previous] : [])].map((r) => r.public_jwk) };
    return {
      kid: current.kid,
      privateKey: await importJWK(privateJwk(current), TOKEN_ALGORITHM),
      publicJwks,
      getKey: createLocalJWKSet(publicJwks),
    };
  };

  let loaded = await read();
  if (!loaded) {
    await locked(db, async (client) => {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM login_signing_keys WHERE alg = $1",
        [TOKEN_ALGORITHM],
      );
      for (let n = rows[0]!.n; n < 2; n++) await newKeyRow(client, envelope);
    });
    loaded = await read();
  }
  if (!loaded) throw new Error("no signing key after creating one");
  let keys: Loaded = loaded;

  const reload = async () => {
    keys = (await read()) ?? keys;
  };

  return {
    signAccess(account, ttlS, options) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(options?.loadTest ? { name: account.name, lt: true } : { name: account.name })
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: keys.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setSubject(account.id)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + ttlS)
        .sign(keys.privateKey);
    },
    jwks: () => keys.publicJwks,
    getKey: (header, token) => keys.getKey(header, token),
    async rotate() {
      await locked(db, (client) => rotateIn(client, envelope));
      await reload();
      return keys.kid;
    },
    async rotateIfDue(everyS) {
      const due = (q: pg.Pool | pg.PoolClient) =>
        q
          .query<{ due: boolean }>(
            // The newest (next) key was made at the last rotation: its age is the current key's.
            "SELECT created_at <= now() - make_interval(secs => $1) AS due FROM login_signing_keys ORDER BY seq DESC LIMIT 1",
            [everyS],
          )
          .then((r) => r.rows[0]?.due === true);
      if (!(await due(db))) return undefined;
      // Checked again under the lock: of several instances finding it due, one rotates.
      const rotated = await locked(db, async (client) => {
        if (!(await due(client))) return false;
        await rotateIn(client, envelope);
        return true;
      });
      if (!rotated) return undefined;
      await reload();
      return keys.kid;
    },
    reload,
  };
}
