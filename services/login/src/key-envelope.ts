// Signing keys at rest: each private key is sealed in an envelope before it reaches PostgreSQL.
// A fresh data key (AES-256-GCM) encrypts the JWK; the key-encryption key (KEK, from
// STARLANE_LOGIN_KEY_ENCRYPTION_KEY or its file: an environment variable or a Kubernetes Secret,
// never the database) encrypts the data key. Both bind the kid as associated data, so a sealed
// key cannot be moved to another row. Whoever reads the table without the KEK cannot sign tokens.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { ConfigError, type Setting } from "@starlane/shared";
import type { JWK } from "jose";

export const KEY_ENCRYPTION_KEY_ENV = "STARLANE_LOGIN_KEY_ENCRYPTION_KEY";
export const KEY_ENCRYPTION_KEY_FILE_ENV = "STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE";
/** Where `npm start` keeps its generated KEK, beside the operator token. */
export const DEFAULT_KEY_ENCRYPTION_KEY_FILE = ".starlane/key-encryption-key";

/** 32 bytes as base64url / base64 (43-44 characters) or hex (64). The error never shows the value. */
export function parseKeyEncryptionKey(raw: string, name: string): Buffer {
  const t = raw.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, "hex");
  else if (/^[A-Za-z0-9_+/-]{43}=?$/.test(t)) key = Buffer.from(t.replace(/=$/, ""), "base64url");
  if (key?.length !== 32) {
    throw new ConfigError(
      name,
      "must be 32 random bytes as base64url or hex (64 characters), e.g. from `openssl rand -hex 32`",
    );
  }
  return key;
}

export const keyEncryptionKeySetting: Setting<Buffer> = {
  env: KEY_ENCRYPTION_KEY_ENV,
  doc: "key-encryption key for the signing keys at rest: 32 bytes, base64url or hex (cluster: required)",
  default: undefined,
  parse: parseKeyEncryptionKey,
};

export const keyEncryptionKeyFileSetting: Setting<string> = {
  env: KEY_ENCRYPTION_KEY_FILE_ENV,
  doc: `file holding the key-encryption key (a mounted Kubernetes Secret; npm start generates ${DEFAULT_KEY_ENCRYPTION_KEY_FILE}), used when ${KEY_ENCRYPTION_KEY_ENV} is unset`,
  default: undefined,
  parse: (raw, name) => {
    if (raw.trim() === "") throw new ConfigError(name, "must not be empty");
    return raw.trim();
  },
};

export const generateKeyEncryptionKey = () => randomBytes(32).toString("base64url");

/** How a sealed private key is stored (in `login_signing_keys.private_jwk`, a jsonb column). */
export interface SealedKey {
  sealed: "A256GCM";
  /** Which KEK sealed it: a fingerprint, so a wrong KEK is named at boot, not found at first use. */
  kek: string;
  /** The data key under the KEK: iv (12) | ciphertext (32) | tag (16), base64url. */
  dek: string;
  /** The JWK under the data key: iv | ciphertext | tag, base64url. */
  jwk: string;
}

export const isSealed = (x: unknown): x is SealedKey =>
  typeof x === "object" && x !== null && (x as { sealed?: unknown }).sealed === "A256GCM";

export interface KeyEnvelope {
  /** The KEK's fingerprint. */
  readonly id: string;
  seal(jwk: JWK, kid: string): SealedKey;
  /** Throws if the KEK is not the one that sealed it, or the row was altered or moved. */
  open(sealed: SealedKey, kid: string): JWK;
}

function encrypt(key: Buffer, plain: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString("base64url");
}

function decrypt(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, "base64url");
  const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
}

export const kekFingerprint = (kek: Buffer) =>
  createHash("sha256").update("starlane-kek").update(kek).digest("hex").slice(0, 16);

export function createKeyEnvelope(kek: Buffer): KeyEnvelope {
  const id = kekFingerprint(kek);
  return {
    id,
    seal(jwk, kid) {
      const dek = randomBytes(32);
      return {
        sealed: "A256GCM",
        kek: id,
        dek: encrypt(kek, dek, kid),
        jwk: encrypt(dek, Buffer.from(JSON.stringify(jwk)), kid),
      };
    },
    open(sealed, kid) {
      const dek = decrypt(kek, sealed.dek, kid);
      return JSON.parse(decrypt(dek, sealed.jwk, kid).toString("utf8")) as JWK;
    },
  };
}
