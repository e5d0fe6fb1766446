// Secrets the embedded mode generates for itself (the operator token, login's key-encryption key)
// and a cluster may mount from a Kubernetes Secret: a file only its owner can read. A file that
// group or others may read or write, that another user owns, or that is not a plain file is
// refused, not repaired: a secret that may have been read by someone else must be replaced, and
// tightening the mode would hide that (ssh refuses private keys on the same grounds).

import { randomBytes } from "node:crypto";
import { linkSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./config.js";

export interface SecretFile<T> {
  value: T;
  /** Absolute path of the file. */
  path: string;
  /** True when this call generated it. */
  created: boolean;
}

/**
 * Reads the secret in `path` (parsed by `parse`), or undefined if there is none. `setting` names
 * the setting that points at the file and `what` the secret ("token"), for the error, which names
 * the file and the fix.
 */
export function readSecretFile<T>(
  path: string,
  setting: string,
  what: string,
  parse: (raw: string, name: string) => T,
): T | undefined {
  const abs = resolve(path);
  const refuse = (why: string): never => {
    throw new ConfigError(setting, `${abs} ${why}`);
  };
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
        `may be read by other users (mode ${mode}): delete it for a new ${what}, or chmod 600 it if nobody else could read it`,
      );
    }
  }
  const text = readFileSync(abs, "utf8");
  try {
    return parse(text, setting);
  } catch (err) {
    return refuse(
      `does not hold a usable ${what} (${(err as ConfigError).message.replace(/^config \S+: /, "")}); delete it for a new one`,
    );
  }
}

/**
 * The secret in `path` if there is one, else a new one from `generate` written there with mode
 * 0600 (its folder made 0700 if it did not exist). Two processes starting at once end up with the
 * same secret: the file appears complete or not at all (written aside, then linked into place,
 * which fails if the other one won).
 */
export function ensureSecretFile<T>(
  path: string,
  setting: string,
  what: string,
  parse: (raw: string, name: string) => T,
  generate: () => string,
): SecretFile<T> {
  const abs = resolve(path);
  const existing = readSecretFile(abs, setting, what, parse);
  if (existing !== undefined) return { value: existing, path: abs, created: false };
  mkdirSync(dirname(abs), { recursive: true, mode: 0o700 });
  const text = generate();
  const aside = `${abs}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(aside, `${text}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(aside, abs);
    return { value: parse(text, setting), path: abs, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const theirs = readSecretFile(abs, setting, what, parse);
    if (theirs === undefined) throw err;
    return { value: theirs, path: abs, created: false };
  } finally {
    unlinkSync(aside);
  }
}
