import { uWebSocketsTransport, type TransportOptions } from "@colyseus/uwebsockets-transport";
import uws from "uWebSockets.js";
import { ListenError } from "@starlane/shared";

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

  override listen(port: number | string, hostname?: string, _backlog?: number, listening?: (err?: Error) => void): this {
    if (typeof port === "string") throw new ListenError("zone transport listens on TCP ports only");
    const host = hostname ?? "0.0.0.0";
    this.app.listen(host, port, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
      this.#socket = socket;
    });
    // Colyseus's shutdown() closes the socket it knows about.
    (this as unknown as { _listeningSocket: unknown })._listeningSocket = this.#socket || undefined;
    listening?.(this.#socket ? undefined : new ListenError(`cannot listen on ${host}:${port}: the port is in use or not permitted`));
    return this;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    if (!this.#socket) throw new Error("zone transport is not listening");
    return uws.us_socket_local_port(this.#socket);
  }
}
