// Colyseus's own log lines, into the zone's structured log. Colyseus writes to the console by
// default, and prints a stack trace for every frame it cannot decode: a client sending garbage made
// the zone write one synchronous stderr trace per frame (the gate then closes it with 4103 anyway).
// Here its lines go through pino, and errors are capped per second (the rest counted and said once
// a second), so a flood of bad frames costs a counter, while a real error still shows.
import type { Logger } from "@starlane/shared";

const ERRORS_PER_SECOND = 5;

export interface ColyseusLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  trace(...args: unknown[]): void;
}

export function colyseusLogger(log: Logger, now: () => number = Date.now): ColyseusLogger {
  const line = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" ");
  let windowStart = 0;
  let inWindow = 0;
  let dropped = 0;
  return {
    debug: (...args) => log.debug({ component: "colyseus" }, line(args)),
    trace: (...args) => log.trace({ component: "colyseus" }, line(args)),
    info: (...args) => log.info({ component: "colyseus" }, line(args)),
    warn: (...args) => log.warn({ component: "colyseus" }, line(args)),
    error: (...args) => {
      const t = now();
      if (t - windowStart >= 1000) {
        if (dropped > 0) log.error({ component: "colyseus", dropped }, "colyseus errors not logged in the last second");
        windowStart = t;
        inWindow = 0;
        dropped = 0;
      }
      if (++inWindow > ERRORS_PER_SECOND) {
        dropped++;
        return;
      }
      log.error({ component: "colyseus" }, line(args));
    },
  };
}
