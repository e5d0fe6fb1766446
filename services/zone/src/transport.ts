import uws from "uWebSockets.js";
import type { Client, Router } from "@colyseus/core";
import { type TransportOptions, uWebSocketsTransport } from "@colyseus/uwebsockets-transport";
import { type ConnectionEdge, type ErrorCode, ListenError, reply, StarlaneError } from "@starlane/shared";

export interface ZoneTransportOptions extends TransportOptions {
  /**
   * The connection edge: the Origin and the per-address upgrade rate are checked at every upgrade,
   * synchronously, before the WebSocket exists (HTTP 403 / 429); the per-address connection cap is
   * taken once the seat's token is known (the room's join, see room.ts), since `lt` tokens are exempt.
   */
  edge?: ConnectionEdge;
  /** Told about each upgrade the edge refused (metrics). */
  refused?: (code: ErrorCode) => void;
}

type UwsApp = ReturnType<typeof uws.App>;
type WsBehavior = Parameters<UwsApp["ws"]>[1];

/**
 * The edge's checks in front of Colyseus's `upgrade`, which runs synchronously when no
 * `beforeUpgrade` is given. Colyseus's own async `beforeUpgrade` path upgrades inside `res.cork`
 * after an await, which uWS answers now and then by closing the fresh socket (1006,
 * uNetworking/uWebSockets#1929): never use it.
 */
function guardUpgrades(app: UwsApp, edge: ConnectionEdge, refused?: (code: ErrorCode) => void): UwsApp {
  const ws = app.ws;
  app.ws = ((pattern: string, behavior: WsBehavior) => {
    const upgrade = behavior.upgrade;
    return ws.call(app, pattern, {
      ...behavior,
      upgrade: (res, req, context) => {
        const ip = Buffer.from(res.getRemoteAddressAsText()).toString();
        const refusal = edge.precheck(ip, req.getHeader("origin") || undefined);
        if (refusal) {
          refused?.(refusal.code);
          reply(res).error(refusal, refusal.status === 429 ? { "retry-after": "1" } : {});
          return;
        }
        // The peer's own address rides on the socket's user data for the connection cap at join
        // (Colyseus's `context.ip` believes X-Forwarded-For, which any client can send).
        const upgradeSocket = res.upgrade;
        res.upgrade = ((userData: Record<string, unknown>, ...rest: unknown[]) =>
          (upgradeSocket as (...args: unknown[]) => void).call(
            res,
            { ...userData, [PEER]: ip },
            ...rest,
          )) as typeof res.upgrade;
        upgrade?.(res, req, context);
      },
    });
  }) as UwsApp["ws"];
  return app;
}

const PEER = "starlanePeer";

/** The peer's address of a room client on this transport, as the upgrade saw it ("" if unknown). */
export function remoteAddressOf(client: Client): string {
  const ref = client.ref as { ws?: Record<string, unknown> } | undefined;
  const ip = ref?.ws?.[PEER];
  return typeof ip === "string" ? ip : "";
}

/**
 * The Colyseus uWebSockets.js transport, listening the way a zone must: on the configured host
 * only, never sharing a port with another process (uWS defaults to SO_REUSEPORT, so a second zone
 * on the same port would silently steal half the connections), and failing loudly when the port is
 * taken instead of carrying on unbound.
 */
export class ZoneTransport extends uWebSocketsTransport {
  #socket: uws.us_listen_socket | false = false;

  constructor(options: ZoneTransportOptions = {}) {
    const { edge, refused, ...rest } = options;
    // Colyseus builds its uWS app and registers its `upgrade` inside its constructor: the edge goes
    // in front of it there, through the app factory, for the length of that call only.
    const create = uws.App;
    let guarded = false;
    const factory = uws as { App: typeof uws.App };
    if (edge) {
      factory.App = ((appOptions?: uws.AppOptions) => {
        guarded = true;
        return guardUpgrades(create(appOptions), edge, refused);
      }) as typeof uws.App;
    }
    try {
      super(rest);
    } finally {
      factory.App = create;
    }
    // Two copies of uWebSockets.js (ours and Colyseus's) would leave the zone without its edge.
    if (edge && !guarded) throw new Error("the zone's connection edge could not be put in front of Colyseus's upgrade");
  }

  override listen(
    port: number | string,
    hostname?: string,
    _backlog?: number,
    listening?: (err?: Error) => void,
  ): this {
    if (typeof port === "string") throw new ListenError("zone transport listens on TCP ports only");
    const host = hostname ?? "0.0.0.0";
    this.app.listen(host, port, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
      this.#socket = socket;
    });
    // Colyseus's shutdown() closes the socket it knows about.
    (this as unknown as { _listeningSocket: unknown })._listeningSocket = this.#socket || undefined;
    listening?.(
      this.#socket
        ? undefined
        : new ListenError(`cannot listen on ${host}:${port}: the port is in use or not permitted`),
    );
    return this;
  }

  /**
   * Colyseus serves its HTTP routes from one catch-all `any("/*")`, which answers nothing at all for
   * a path its router does not know (without Express the request hangs until the client gives up).
   * uWS keeps only the last handler registered for a pattern, so ours takes Colyseus's place and
   * calls it for the paths its router serves; any other path is 404 STARLANE_ERR_NOT_FOUND at once.
   */
  override bindRouter(router: Router): void {
    const app = this.app;
    const any = app.any;
    let colyseus: ((res: uws.HttpResponse, req: uws.HttpRequest) => void) | undefined;
    app.any = ((pattern: string, handler: (res: uws.HttpResponse, req: uws.HttpRequest) => void) => {
      if (pattern === "/*") colyseus = handler;
      else any.call(app, pattern, handler);
      return app;
    }) as typeof app.any;
    try {
      super.bindRouter(router);
    } finally {
      app.any = any;
    }
    app.any("/*", (res, req) => {
      if (colyseus && router.findRoute(req.getMethod().toUpperCase(), req.getUrl()) !== undefined) {
        colyseus(res, req);
        return;
      }
      reply(res).error(new StarlaneError("STARLANE_ERR_NOT_FOUND"));
    });
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    if (!this.#socket) throw new Error("zone transport is not listening");
    return uws.us_socket_local_port(this.#socket);
  }
}
