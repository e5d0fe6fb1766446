// What the client does when its zone connection closes, by close code (shared/PROTOCOL.md), and
// how long it waits before entering the world again.
import { CloseCode } from "@starlane/shared/client";

export interface AfterClose {
  /** "enter": back through world entry after a jittered backoff; "stop": stay out until the player says. */
  next: "enter" | "stop";
  /** Shortest wait before the first attempt (ms). */
  minDelayMs: number;
  /** For the player. */
  message: string;
}

export function afterClose(code: number): AfterClose {
  switch (code) {
    case CloseCode.Unauthorized:
      // World entry answers 401 to an expired token and the client refreshes its session there.
      return { next: "enter", minDelayMs: 0, message: "Your session expired; logging in again." };
    case CloseCode.RateLimited:
      return { next: "enter", minDelayMs: 2000, message: "Too many messages were sent; pausing before reconnecting." };
    case CloseCode.MessageTooLarge:
      return { next: "stop", minDelayMs: 0, message: "The server refused a message as too large (a client bug)." };
    case CloseCode.Malformed:
      return { next: "stop", minDelayMs: 0, message: "The server refused a malformed message (a client bug)." };
    case CloseCode.Replaced:
      return {
        next: "stop",
        minDelayMs: 0,
        message: "You joined from another tab or device; this one was disconnected.",
      };
    case CloseCode.ShuttingDown:
      return { next: "enter", minDelayMs: 250, message: "The zone server is shutting down; another one takes over." };
    case CloseCode.RegionMoved:
      return { next: "enter", minDelayMs: 0, message: "Your region moved to another zone server." };
    default:
      return { next: "enter", minDelayMs: 250, message: `The connection was lost (code ${code}).` };
  }
}

/**
 * Jittered exponential backoff: 500 ms doubling per attempt up to 10 s, each wait drawn from the
 * upper half of that, so a zone's worth of players do not all come back in the same instant.
 */
export function backoffMs(attempt: number, minDelayMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(10_000, 500 * 2 ** attempt);
  return Math.max(minDelayMs, Math.round(ceiling * (0.5 + random() * 0.5)));
}
