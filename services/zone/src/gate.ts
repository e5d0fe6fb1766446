// The zone's gates: what a client can make the zone do before any game rule runs.
// - Matchmaking: a client only ever takes seats the zone offers (world entry's joinById of a region
//   room this zone holds, and the handoff / redirect seats the zone reserves itself). No request
//   can open a room: the HTTP routes refuse, and a region room refuses to exist unless the zone's
//   own claim path opened it (so a route we did not think of cannot either).
// - Frames: every inbound WebSocket frame of a seated client passes the rate limit, the size limit
//   and the frame-type check before Colyseus decodes it; what we send is counted per tick.
import { type Client, CloseCode as ColyseusCloseCode, matchMaker, type Room, ServerError } from "@colyseus/core";
import {
  type AccessClaims,
  type App,
  CloseCode,
  ErrorCode,
  type Logger,
  reply,
  StarlaneError,
  type TokenVerifier,
} from "@starlane/shared";
import type { ZoneMetrics } from "./metrics.js";

const refusal = (code: "STARLANE_ERR_ROOM_CREATION_REFUSED" | "STARLANE_ERR_REGION_UNAVAILABLE") =>
  new ServerError(ErrorCode[code].status, code);

/** A region room opened any other way than by the zone itself. */
export const creationRefused = () => refusal("STARLANE_ERR_ROOM_CREATION_REFUSED");

/**
 * The claims of a matchmaking request's access token. Matchmaking is an HTTP request: a refusal
 * carries the catalogue's HTTP status and code (401 STARLANE_ERR_UNAUTHORIZED, or 503 while the
 * verifier has never had login's keys).
 */
export async function authorize(verifier: TokenVerifier, token: string | undefined): Promise<AccessClaims> {
  try {
    return await verifier.verify(token);
  } catch (err) {
    const code: ErrorCode = err instanceof StarlaneError ? err.code : "STARLANE_ERR_UNAUTHORIZED";
    throw new ServerError(ErrorCode[code].status, code);
  }
}

/**
 * Region rooms the zone is opening right now: each permit lets exactly one room with that id exist,
 * once. The claim path grants it around matchMaker.handleCreateRoom; the room takes it in onCreate.
 */
export class OpenPermits {
  readonly #ids = new Set<string>();

  grant(roomId: string): void {
    this.#ids.add(roomId);
  }

  revoke(roomId: string): void {
    this.#ids.delete(roomId);
  }

  /** True once for a granted id (the room may open), false otherwise (it must refuse). */
  take(roomId: string): boolean {
    return this.#ids.delete(roomId);
  }
}

/**
 * Restricts Colyseus's HTTP matchmaking (`POST /matchmake/<method>/<room>`) to `joinById` of a room
 * for which `holds(roomId)`. Anything else under /matchmake/ (create, joinOrCreate, join, reconnect,
 * any other method or verb) answers 403 STARLANE_ERR_ROOM_CREATION_REFUSED; a joinById of a room
 * this zone does not hold 503 STARLANE_ERR_REGION_UNAVAILABLE (world entry's directory may be a
 * moment behind), after waiting up to `soon.waitMs` if the zone is about to open it. The body is `{ code: <status>, error: <code> }`, as Colyseus answers (what the SDK
 * and world entry read). Twice: on the transport, before Colyseus reads the body (so a body it cannot
 * parse gets our answer, not its 400), and in matchMaker.controller, which every matchmaking route
 * ends in whatever path reached it (`//matchmake/...` is not under the transport's /matchmake/).
 */
/**
 * Regions this zone expects to open soon (a takeover: their owner stopped renewing, or the zone is
 * restoring them). A joinById for one waits for its room, up to `waitMs`, instead of being refused:
 * the players of a dead zone are seated the moment the room opens, not a backoff later.
 */
export interface OpeningSoon {
  expecting(roomId: string): boolean;
  /** Checks the request's access token before it is held: only a player may wait for a room. */
  verifier: TokenVerifier;
  /** Resolves true once the room is open here, false after `ms`. */
  opened(roomId: string, ms: number): Promise<boolean>;
  waitMs: number;
}

export function gateMatchmaking(app: App, holds: (roomId: string) => boolean, soon?: OpeningSoon): void {
  const controller = matchMaker.controller;
  app.any("/matchmake/*", (res, req) => {
    const method = req.getMethod().toLowerCase();
    // CORS preflights stay Colyseus's.
    if (method === "options") {
      req.setYield(true);
      return;
    }
    const [, , action, roomId, ...rest] = req.getUrl().split("/");
    const joinById = method === "post" && action === "joinById" && rest.length === 0;
    const id = decode(roomId ?? "");
    if (joinById && (holds(id) || soon?.expecting(id))) {
      req.setYield(true);
      return;
    }
    const code = joinById ? "STARLANE_ERR_REGION_UNAVAILABLE" : "STARLANE_ERR_ROOM_CREATION_REFUSED";
    const origin = req.getHeader("origin");
    const cors = { ...controller.DEFAULT_CORS_HEADERS, "Access-Control-Allow-Origin": origin || "*" };
    reply(res).json(ErrorCode[code].status, { code: ErrorCode[code].status, error: code }, cors);
  });
  const inner = controller.invokeMethod;
  controller.invokeMethod = async function gated(method, roomName, clientOptions, authOptions) {
    if (method !== "joinById") throw refusal("STARLANE_ERR_ROOM_CREATION_REFUSED");
    if (!holds(roomName)) {
      if (!soon?.expecting(roomName)) throw refusal("STARLANE_ERR_REGION_UNAVAILABLE");
      // A request without a valid token is refused at once, not held: no one but a player can make
      // the zone keep a request open while a region is restored.
      await authorize(soon.verifier, authOptions?.token);
      if (!(await soon.opened(roomName, soon.waitMs))) throw refusal("STARLANE_ERR_REGION_UNAVAILABLE");
    }
    return inner.call(controller, method, roomName, clientOptions, authOptions);
  };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}

// The Colyseus frame codes a client may send us (everything else is not our protocol).
const ALLOWED_FRAMES = new Set([10 /* JOIN_ROOM */, 12 /* LEAVE_ROOM */, 13 /* ROOM_DATA */, 18 /* PING */]);

export type GateReason = "rate_limited" | "too_large" | "malformed";

export interface FrameGateOptions {
  maxMessagesPerSecond: number;
  maxMessageBytes: number;
  metrics: Pick<ZoneMetrics, "closed">;
  log: Logger;
}

interface Admitted {
  client: Client;
  playerId: string;
  windowStart: number;
  windowCount: number;
}

/**
 * The per-client frame gate of one room. Installed on the room once (it wraps Colyseus's
 * `_onMessage`); each seated client is admitted (and released when its seat goes). Frames of
 * clients not admitted pass to Colyseus untouched, as before they have a seat.
 */
export class FrameGate {
  readonly #room: Room;
  readonly #o: FrameGateOptions;
  readonly #admitted = new Map<string, Admitted>();
  #bytes = 0;
  #inMessage = false;

  constructor(room: Room, options: FrameGateOptions) {
    this.#room = room;
    this.#o = options;
    // Our own limiter closes with our documented code; Colyseus's would close with its generic 4002.
    room.maxMessagesPerSecond = Number.POSITIVE_INFINITY;
    const self = room as unknown as { _onMessage: (client: Client, buffer: Uint8Array) => void };
    const inner = self._onMessage.bind(room);
    self._onMessage = (c: Client, buffer: Uint8Array) => {
      const a = this.#admitted.get(c.sessionId);
      if (!a) return inner(c, buffer);
      const now = performance.now();
      if (now - a.windowStart >= 1000) [a.windowStart, a.windowCount] = [now, 0];
      if (++a.windowCount > this.#o.maxMessagesPerSecond) return this.close(c, CloseCode.RateLimited, "rate_limited");
      if (!buffer || buffer.byteLength > this.#o.maxMessageBytes) {
        return this.close(c, CloseCode.MessageTooLarge, "too_large");
      }
      if (!ALLOWED_FRAMES.has((buffer[0] ?? 0) & 31)) return this.close(c, CloseCode.Malformed, "malformed");
      this.#inMessage = true;
      try {
        inner(c, buffer);
      } catch (err) {
        this.#o.log.debug({ err, player: a.playerId }, "undecodable frame");
        this.close(c, CloseCode.Malformed, "malformed");
      } finally {
        this.#inMessage = false;
      }
    };
  }

  /** A client took a seat: its frames are gated from now on, and what we send it is counted. */
  admit(client: Client, playerId: string): void {
    this.#admitted.set(client.sessionId, { client, playerId, windowStart: 0, windowCount: 0 });
    const ref = client as unknown as {
      raw: (data: Uint8Array, ...rest: unknown[]) => void;
      leave: (code?: number, data?: string) => void;
    };
    const raw = ref.raw.bind(client);
    ref.raw = (data, ...rest) => {
      this.#bytes += data.byteLength;
      raw(data, ...rest);
    };
    // Colyseus closes with its generic 4002 when a message body does not decode: say what it was.
    const leave = ref.leave.bind(client);
    ref.leave = (code, data) => {
      if (code !== ColyseusCloseCode.WITH_ERROR || !this.#inMessage) return leave(code, data);
      this.#o.metrics.closed(this.#room.roomId, "malformed");
      leave(CloseCode.Malformed, data);
    };
  }

  /** The client's seat is gone. */
  release(client: Client): void {
    this.#admitted.delete(client.sessionId);
  }

  /** Closes a misbehaving admitted client with its documented code (once: a released one is left alone). */
  close(client: Client, code: CloseCode, reason: GateReason): void {
    const a = this.#admitted.get(client.sessionId);
    if (!a) return;
    this.#o.metrics.closed(this.#room.roomId, reason);
    this.#o.log.info({ player: a.playerId, region: this.#room.roomId, reason }, "closing misbehaving client");
    a.client.leave(code);
  }

  /** Bytes sent to the admitted clients since the last call. */
  takeBytes(): number {
    const n = this.#bytes;
    this.#bytes = 0;
    return n;
  }
}
