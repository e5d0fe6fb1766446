// The operator credential: one secret, STARLANE_OPERATOR_TOKEN, guards every operator interface
// (key rotation, provisioning, moderation, zone control). Cluster processes take it from the
// environment; the embedded mode generates one into a file only its owner can read, so `npm start`
// needs no setup and the load-test bots can find it.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { bearerToken } from "./auth.js";
import { ConfigError, type Setting } from "./config.js";
import { ensureSecretFile, readSecretFile } from "./secret-file.js";

/** Shorter secrets are refused at boot: the token is the only thing between a stranger and the operator routes. */
export const OPERATOR_TOKEN_MIN_LENGTH = 32;
/** Where `npm start` keeps its generated token: beside the default data folder `.starlane/pgdata`. */
export const DEFAULT_OPERATOR_TOKEN_FILE = ".starlane/operator-token";
export const OPERATOR_TOKEN_ENV = "STARLANE_OPERATOR_TOKEN";
export const OPERATOR_TOKEN_FILE_ENV = "STARLANE_OPERATOR_TOKEN_FILE";

const fail = (name: string, message: string): never => {
  throw new ConfigError(name, message);
};

// It travels as `Authorization: Bearer <token>`: the RFC 6750 token characters only.
const TOKEN_CHARS = /^[A-Za-z0-9._~+/-]+=*$/;

/** Checks a token's shape; never puts the token itself in the message. */
export function parseOperatorToken(raw: string, name: string): string {
  const token = raw.trim();
  if (token.length < OPERATOR_TOKEN_MIN_LENGTH) {
    throw new ConfigError(name, `must be at least ${OPERATOR_TOKEN_MIN_LENGTH} characters, got ${token.length}`);
  }
  if (!TOKEN_CHARS.test(token)) {
    throw new ConfigError(name, "may only contain letters, digits and - . _ ~ + / (then = padding)");
  }
  return token;
}

/** STARLANE_OPERATOR_TOKEN. No default: where an operator interface is served, main.ts requires it. */
export const operatorTokenSetting: Setting<string> = {
  env: OPERATOR_TOKEN_ENV,
  doc: `the operator credential (Authorization: Bearer <token>), at least ${OPERATOR_TOKEN_MIN_LENGTH} characters`,
  default: undefined,
  parse: parseOperatorToken,
};

/** STARLANE_OPERATOR_TOKEN_FILE: the embedded mode's generated token, used when STARLANE_OPERATOR_TOKEN is unset. */
export const operatorTokenFileSetting: Setting<string> = {
  env: OPERATOR_TOKEN_FILE_ENV,
  doc: `file with the generated operator token (embedded mode, when ${OPERATOR_TOKEN_ENV} is unset)`,
  default: DEFAULT_OPERATOR_TOKEN_FILE,
  parse: (raw, name) => (raw.trim() === "" ? fail(name, "must not be empty") : raw.trim()),
};

/** Says whether an `Authorization` header carries the operator token. */
export type OperatorCheck = (authorization: string | undefined) => boolean;

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * The check every operator route runs. Both sides are hashed first, so the comparison is always
 * over 32 bytes: neither the position of the first wrong character nor the token's length shows in
 * the time taken. With no token configured nothing is accepted.
 */
export function createOperatorCheck(
  token: string | undefined,
  // Tests pass a recording comparison to see what is compared; nothing else should.
  compare: (a: Buffer, b: Buffer) => boolean = timingSafeEqual,
): OperatorCheck {
  const expected = digest(token ?? randomBytes(32).toString("hex"));
  const configured = token !== undefined;
  return (authorization) => {
    const presented = digest(bearerToken(authorization) ?? "");
    return compare(presented, expected) && configured;
  };
}

export interface OperatorTokenFile {
  token: string;
  /** Absolute path of the file. */
  path: string;
  /** True when this call generated it. */
  created: boolean;
}

/** Reads the token file at `path` (owner-only, see secret-file.ts), or returns undefined if there is none. */
export function readOperatorTokenFile(path: string): string | undefined {
  return readSecretFile(path, OPERATOR_TOKEN_FILE_ENV, "token", parseOperatorToken);
}

/** The embedded mode's token: the one in `path` if there is one, else a new random one written there 0600. */
export function ensureOperatorTokenFile(path: string): OperatorTokenFile {
  const { value, ...file } = ensureSecretFile(path, OPERATOR_TOKEN_FILE_ENV, "token", parseOperatorToken, () =>
    randomBytes(32).toString("base64url"),
  );
  return { token: value, ...file };
}
