// Account names and passwords as the client sent them, checked before anything touches the store.
import { StarlaneError } from "@starlane/shared";

const NAME = /^[A-Za-z0-9_]{3,20}$/;

/**
 * NFKC first so full-width "ｐｉｌｏｔ" and ligatures fold to plain ASCII, then a strict ASCII rule:
 * whatever survives cannot hide a homoglyph, a zero-width or a right-to-left character.
 */
export function parseName(raw: unknown): string {
  if (typeof raw !== "string") throw new StarlaneError("STARLANE_ERR_VALIDATION", "name");
  if (raw.length > 64) throw new StarlaneError("STARLANE_ERR_BAD_NAME", "name");
  const name = raw.normalize("NFKC");
  if (!NAME.test(name)) throw new StarlaneError("STARLANE_ERR_BAD_NAME", "name");
  return name;
}

/** 8-128 characters (code points, after NFKC so the same password typed two ways matches). */
export function parsePassword(raw: unknown, field = "password"): string {
  if (typeof raw !== "string") throw new StarlaneError("STARLANE_ERR_VALIDATION", field);
  const password = raw.normalize("NFKC");
  const length = [...password].length;
  if (length < 8 || length > 128) throw new StarlaneError("STARLANE_ERR_WEAK_PASSWORD", field);
  return password;
}

export function parseRefreshToken(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0) throw new StarlaneError("STARLANE_ERR_VALIDATION", "refreshToken");
  return raw;
}

/** The body must be a JSON object; arrays, strings and null are validation errors. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new StarlaneError("STARLANE_ERR_VALIDATION");
  }
  return body as Record<string, unknown>;
}
