// Telling "PostgreSQL is unreachable" apart from a bug, so an outage is answered as 503 "retry
// shortly" rather than a 500, and logged once as a warning rather than as a failure per request.

const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
]);
// SQLSTATE: 08 connection exceptions; 57P01-57P03 admin/crash shutdown, cannot connect now.
const SQLSTATE = /^(08...|57P0[123])$/;
// node-postgres raises these as plain Errors without a code.
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection error|Connection refused/i;

export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (NETWORK.has(code) || SQLSTATE.test(code))) return true;
  return PG_MESSAGES.test(err.message);
}
