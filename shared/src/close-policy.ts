// What a client does when its zone connection closes, by close code, and how long it waits before
// coming back: one table for the browser client and the bots, so the two cannot drift apart.
// shared/PROTOCOL.md says what each code means; close-policy.test.ts keeps it and this table in
// agreement. Browser-safe (exported from `@starlane/shared/client`).
import { CloseCode } from "./protocol.js";

/**
 * - `reenter`: back through world entry (`POST /v1/world/enter`, a new seat) on the backoff schedule.
 * - `reauth`: the session is no longer accepted: refresh it (or log in again), then re-enter.
 * - `stop`: stay out until the player acts (the page) or end (a bot). Coming back would only repeat
 *   the close (a client bug) or fight the decision (the player connected elsewhere).
 */
export type CloseAction = "reenter" | "reauth" | "stop";

export interface ClosePolicy {
  readonly action: CloseAction;
  /** The shortest wait before each attempt to come back (ms); `backoffMs` never goes below it. */
  readonly minDelayMs: number;
  /** For the player: why the connection ended and what happens next. */
  readonly message: string;
}

/**
 * Closes a client sees that are not Starlane's: the WebSocket RFC's and Colyseus's own
 * (`CloseCode` of @colyseus/shared-types). The server never sends these on purpose for a decision
 * about the player, so they all mean "the connection is gone; come back".
 */
export const TransportCloseCode = {
  NoStatus: 1005,
  /** The socket dropped without a close frame: a dead process, a cut network, a proxy timeout. */
  Abnormal: 1006,
  /** Colyseus: a consented leave, also what a server's `room.disconnect()` sends by default. */
  Consented: 4000,
  ServerShutdown: 4001,
  WithError: 4002,
  FailedToReconnect: 4003,
  MayTryReconnect: 4010,
} as const;

// Herd closes (a zone died or is shutting down: everyone at once) have no minimum pause: a floor
// would pile every client onto that one instant, and the full-jitter backoff already spreads them.
export const CLOSE_POLICY = {
  [CloseCode.Normal]: { action: "reenter", minDelayMs: 0, message: "The server closed the connection." },
  [CloseCode.GoingAway]: { action: "reenter", minDelayMs: 0, message: "The server went away." },
  [CloseCode.Unauthorized]: {
    action: "reauth",
    minDelayMs: 0,
    message: "Your session is no longer valid; logging in again.",
  },
  // The zone counts messages in 1 s windows: by 2 s the window that closed us is long gone.
  [CloseCode.RateLimited]: {
    action: "reenter",
    minDelayMs: 2000,
    message: "Too many messages were sent; pausing before reconnecting.",
  },
  [CloseCode.MessageTooLarge]: {
    action: "stop",
    minDelayMs: 0,
    message: "The server refused a message as too large (a client bug).",
  },
  [CloseCode.Malformed]: {
    action: "stop",
    minDelayMs: 0,
    message: "The server refused a malformed message (a client bug).",
  },
  [CloseCode.Replaced]: {
    action: "stop",
    minDelayMs: 0,
    message: "You joined from another tab or device; this one was disconnected.",
  },
  [CloseCode.ShuttingDown]: {
    action: "reenter",
    minDelayMs: 0,
    message: "The zone server is shutting down; another one takes over.",
  },
  [CloseCode.RegionMoved]: { action: "reenter", minDelayMs: 0, message: "Your region moved to another zone server." },
  // Seen only when the client did not follow the `handoff` (a follow in progress ignores the old
  // room's close): the ship is in the other room, world entry finds it.
  [CloseCode.HandedOff]: {
    action: "reenter",
    minDelayMs: 0,
    message: "Your ship moved to another region without this connection.",
  },
  // The connection could not keep up with the state frames; a fresh connection starts from a full state.
  [CloseCode.SlowReader]: {
    action: "reenter",
    minDelayMs: 1000,
    message: "Your connection fell behind the game; reconnecting.",
  },
  [CloseCode.OriginRefused]: {
    action: "stop",
    minDelayMs: 0,
    message: "This page's address is not allowed to connect (a deployment setting).",
  },
  // The cap counts open connections: waiting lets some of the address's others end.
  [CloseCode.TooManyConnections]: {
    action: "reenter",
    minDelayMs: 5000,
    message: "Too many connections from your address; retrying later.",
  },
  [CloseCode.ChatKicked]: { action: "stop", minDelayMs: 0, message: "An operator removed you from chat." },
  // Coming back would only be refused again (world entry checks the ban), so wait for the player.
  [CloseCode.AccountBanned]: { action: "stop", minDelayMs: 0, message: "This account has been banned." },
  // The refresh token is revoked too: reauth ends at the log-in form, as it should.
  [CloseCode.SessionsRevoked]: {
    action: "reauth",
    minDelayMs: 0,
    message: "Your sessions were ended (password changed or logged out everywhere); log in again.",
  },
  [TransportCloseCode.NoStatus]: { action: "reenter", minDelayMs: 0, message: "The connection was lost." },
  [TransportCloseCode.Abnormal]: { action: "reenter", minDelayMs: 0, message: "The connection was lost." },
  [TransportCloseCode.Consented]: { action: "reenter", minDelayMs: 0, message: "The server closed the region." },
  [TransportCloseCode.ServerShutdown]: { action: "reenter", minDelayMs: 0, message: "The server is shutting down." },
  [TransportCloseCode.WithError]: {
    action: "reenter",
    minDelayMs: 0,
    message: "The server closed the connection after an error.",
  },
  [TransportCloseCode.FailedToReconnect]: { action: "reenter", minDelayMs: 0, message: "The connection was lost." },
  [TransportCloseCode.MayTryReconnect]: {
    action: "reenter",
    minDelayMs: 0,
    message: "The server is restarting.",
  },
} as const satisfies Record<CloseCode, ClosePolicy> & Record<number, ClosePolicy>;

/**
 * A code this client does not know (a newer server's): come back on the backoff schedule. World
 * entry then answers with a clear error if the player may not, so nobody is left hanging silently.
 */
export const UNKNOWN_CLOSE_POLICY = {
  action: "reenter",
  minDelayMs: 0,
  message: "The connection was lost.",
} as const satisfies ClosePolicy;

/** What to do after the zone connection closed with `code`. */
export function afterClose(code: number): ClosePolicy {
  if (Object.hasOwn(CLOSE_POLICY, code)) return CLOSE_POLICY[code as keyof typeof CLOSE_POLICY];
  return { ...UNKNOWN_CLOSE_POLICY, message: `The connection was lost (code ${code}).` };
}

export interface BackoffSchedule {
  /** The first attempt's ceiling (ms); it doubles with each attempt. */
  readonly baseMs: number;
  /** No ceiling goes above this (ms). */
  readonly capMs: number;
  /** Never wait less than this (ms): the close's `minDelayMs`. */
  readonly minDelayMs?: number;
}

/** 500 ms doubling to 10 s: a zone's worth of players spread over seconds, nobody waits long. */
export const DEFAULT_BACKOFF: BackoffSchedule = { baseMs: 500, capMs: 10_000 };

/**
 * Full-jitter exponential backoff: the wait before attempt `attempt` (0 = the first) is drawn
 * uniformly from [0, min(cap, base * 2^attempt)], never below `minDelayMs`. Full jitter rather than
 * a floor of half the ceiling: clients that dropped together (a dead zone) come back spread over the
 * whole interval, not bunched in its upper half.
 */
export function backoffMs(
  attempt: number,
  { baseMs, capMs, minDelayMs = 0 }: BackoffSchedule = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.floor(attempt)));
  return Math.max(minDelayMs, Math.round(random() * ceiling));
}
