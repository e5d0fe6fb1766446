// The operator credential: one secret, STARLANE_OPERATOR_TOKEN, guards every operator interface
// (key rotation, provisioning, moderation, zone control). Cluster processes take it from the
// environment; the embedded mode generates one into a file only its owner can read, so `npm start`
// needs no setup and the load-test bots can find it.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { linkSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { bearerToken } from "./auth.js";
import { ConfigError, type Setting } from "./config.js";

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

/**
 * Reads the token file at `path`, or returns undefined if there is none. A file that group or
 * others may read or write, that another user owns, or that is not a plain file is refused, not
 * repaired: a token that may have been read by someone else must be replaced, and tightening the
 * mode would hide that (ssh refuses private keys on the same grounds). The error names the file
 * and the fix.
 */
export function readOperatorTokenFile(path: string): string | undefined {
  const abs = resolve(path);
  const refuse = (why: string): never => fail(OPERATOR_TOKEN_FILE_ENV, `${abs} ${why}`);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  if (!st.isFile()) refuse("is not a plain file (a symbolic link or a folder); remove it");
  if (process.platform !== "win32") {
    if (process.getuid && st.uid !== process.getuid()) refuse(`belongs to another user (uid ${st.uid}); remove it`);
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      refuse(
        `may be read by other users (mode ${mode}): delete it for a new token, or chmod 600 it if nobody else could read it`,
      );
    }
  }
  const text = readFileSync(abs, "utf8");
  try {
    return parseOperatorToken(text, OPERATOR_TOKEN_FILE_ENV);
  } catch (err) {
    return refuse(
      `does not hold a usable token (${(err as ConfigError).message.replace(/^config \S+: /, "")}); delete it for a new one`,
    );
  }
}

/**
 * The embedded mode's token: the one in `path` if there is one, else a new random one written
 * there with mode 0600 (its folder made 0700 if it did not exist). Two processes starting at once
 * end up with the same token: the file appears complete or not at all (written aside, then linked
 * into place, which fails if the other one won).
 */
export function ensureOperatorTokenFile(path: string): OperatorTokenFile {
  const abs = resolve(path);
  const existing = readOperatorTokenFile(abs);
  if (existing !== undefined) return { token: existing, path: abs, created: false };
  mkdirSync(dirname(abs), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("base64url");
  const aside = `${abs}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(aside, `${token}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(aside, abs);
    return { token, path: abs, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const theirs = readOperatorTokenFile(abs);
    if (theirs === undefined) throw err;
    return { token: theirs, path: abs, created: false };
  } finally {
    unlinkSync(aside);
  }
}
