// The connection edge every WebSocket service runs at upgrade (chat and the zone): the browser page's Origin against an allowlist, and per-address caps on upgrades per
// second and on open connections. Bots and native clients send no Origin and pass that check; a
// browser always sends one, so a page on another site cannot ride a player's session here.
// Accounts the operator provisioned for load tests (access-token claim `lt`) skip the caps: the
// project's own benchmarks open thousands of connections from one address.
import { StarlaneError } from "./protocol.js";

export interface EdgeOptions {
  /**
   * Origins (`scheme://host[:port]`) whose pages may connect; `*` allows any. A function is asked
   * on each check (the front door's origin is known only once it listens, on port 0 in tests).
   */
  allowedOrigins: readonly string[] | (() => readonly string[]);
  /** Open connections per address (0: no cap). */
  maxConnectionsPerIp: number;
  /** Upgrade attempts per address per second, refused tokens included (0: no cap). */
  upgradesPerIpPerS: number;
  /** Milliseconds (tests drive it). */
  now?: () => number;
}

export interface ConnectionEdge {
  /**
   * The checks before anything costly (verifying the token): the origin, and whether the address
   * already used its upgrades for this second. Null when the upgrade may go on.
   */
  precheck(ip: string, origin: string | undefined): StarlaneError | null;
  /** A refused upgrade (a bad token) still counts against its address's upgrade rate. */
  countRefused(ip: string): void;
  /**
   * Counts the upgrade and takes one of the address's connection slots; resolves the release to
   * call when the connection closes, or the refusal. `exempt` (an `lt` token) skips both caps and is
   * not counted. `continued`: the connection carries on one the edge already admitted (a handoff
   * seat, while the old one closes): counted, never refused, so a player is not stranded mid-flight.
   */
  admit(ip: string, exempt: boolean, continued?: boolean): StarlaneError | (() => void);
  /** Open connections counted for `ip` (metrics, tests). */
  connections(ip: string): number;
}

/** `scheme://host[:port]` in lower case, or null for something that is not an origin. */
export function originOf(value: string): string | null {
  if (value === "*") return "*";
  try {
    const u = new URL(value);
    return u.origin === "null" ? null : u.origin.toLowerCase();
  } catch {
    return null;
  }
}

export function createConnectionEdge(options: EdgeOptions): ConnectionEdge {
  const now = options.now ?? Date.now;
  const list = options.allowedOrigins;
  let seen: readonly string[] | undefined;
  let allowed = new Set<string>();
  const allowedNow = () => {
    const current = typeof list === "function" ? list() : list;
    if (current !== seen) {
      seen = current;
      allowed = new Set(current.map((o) => originOf(o) ?? o));
    }
    return allowed;
  };
  const open = new Map<string, number>();
  const attempts = new Map<string, { second: number; count: number }>();

  // Addresses come and go: forget the ones whose second is over, once the table gets big.
  const sweep = (second: number) => {
    if (attempts.size < 10_000) return;
    for (const [ip, a] of attempts) if (a.second !== second) attempts.delete(ip);
  };
  const used = (ip: string): { second: number; count: number } => {
    const second = Math.floor(now() / 1000);
    let a = attempts.get(ip);
    if (!a || a.second !== second) {
      sweep(second);
      a = { second, count: 0 };
      attempts.set(ip, a);
    }
    return a;
  };
  const rateFull = (ip: string) => options.upgradesPerIpPerS > 0 && used(ip).count >= options.upgradesPerIpPerS;

  return {
    precheck(ip, origin) {
      // No Origin: not a browser (bots, native clients), which no other site can drive.
      if (origin !== undefined && origin !== "") {
        const allowed = allowedNow();
        const o = originOf(origin);
        if (!allowed.has("*") && (o === null || !allowed.has(o)))
          return new StarlaneError("STARLANE_ERR_ORIGIN_REFUSED");
      }
      if (rateFull(ip)) return new StarlaneError("STARLANE_ERR_RATE_LIMITED");
      return null;
    },
    countRefused(ip) {
      if (options.upgradesPerIpPerS > 0) used(ip).count++;
    },
    admit(ip, exempt, continued = false) {
      // Not counted either, so a load test does not use up the slots of real players at its address.
      if (exempt) return () => {};
      if (!continued && rateFull(ip)) return new StarlaneError("STARLANE_ERR_RATE_LIMITED");
      if (options.upgradesPerIpPerS > 0) used(ip).count++;
      if (!continued && options.maxConnectionsPerIp > 0 && (open.get(ip) ?? 0) >= options.maxConnectionsPerIp) {
        return new StarlaneError("STARLANE_ERR_TOO_MANY_CONNECTIONS");
      }
      open.set(ip, (open.get(ip) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const n = (open.get(ip) ?? 1) - 1;
        if (n <= 0) open.delete(ip);
        else open.set(ip, n);
      };
    },
    connections: (ip) => open.get(ip) ?? 0,
  };
}

/** A service's edge settings, as its config reads them. */
export interface EdgeSettings {
  /** Comma-separated origins (`*`: any) allowed besides the front door's. */
  allowedOrigins: string;
  /** The front door's origin (where the browser client is served). */
  frontDoorOrigin: string;
  maxConnectionsPerIp: number;
  upgradesPerIpPerS: number;
}

/**
 * The edge from a service's settings: the front door's origin is always allowed (`frontDoorOrigin`
 * overrides the setting where the front door's port is known only once it listens).
 */
export function edgeFromSettings(settings: EdgeSettings, frontDoorOrigin?: () => string | undefined): ConnectionEdge {
  const listed = settings.allowedOrigins
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  const fixed = [settings.frontDoorOrigin, ...listed];
  let last: string | undefined;
  let current = fixed;
  return createConnectionEdge({
    allowedOrigins: () => {
      const o = frontDoorOrigin?.();
      if (o !== last) {
        last = o;
        current = o ? [o, ...fixed] : fixed;
      }
      return current;
    },
    maxConnectionsPerIp: settings.maxConnectionsPerIp,
    upgradesPerIpPerS: settings.upgradesPerIpPerS,
  });
}
