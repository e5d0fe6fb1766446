import uws from "uWebSockets.js";
import type { Router } from "@colyseus/core";
import { type TransportOptions, uWebSocketsTransport } from "@colyseus/uwebsockets-transport";
import { ListenError, reply, StarlaneError } from "@starlane/shared";

/**
 * The Colyseus uWebSockets.js transport, listening the way a zone must: on the configured host
 * only, never sharing a port with another process (uWS defaults to SO_REUSEPORT, so a second zone
 * on the same port would silently steal half the connections), and failing loudly when the port is
 * taken instead of carrying on unbound.
 */
export class ZoneTransport extends uWebSocketsTransport {
  #socket: uws.us_listen_socket | false = false;

  constructor(options: TransportOptions = {}) {
    super(options);
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
