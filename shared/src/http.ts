// HTTP on uWebSockets.js: the ops endpoints every process serves, JSON request/response helpers
// that follow uWS's rules (onAborted before any await, cork async writes), and listen/close.
import uws from "uWebSockets.js";
import type { Registry } from "prom-client";
import { type ErrorBody, StarlaneError } from "./protocol.js";

export type App = uws.TemplatedApp;
export type HttpResponse = uws.HttpResponse;
export type HttpRequest = uws.HttpRequest;

export const createApp = (): App => uws.App();

const STATUS_TEXT: Record<number, string> = {
  200: "200 OK",
  201: "201 Created",
  204: "204 No Content",
  400: "400 Bad Request",
  401: "401 Unauthorized",
  403: "403 Forbidden",
  404: "404 Not Found",
  405: "405 Method Not Allowed",
  409: "409 Conflict",
  413: "413 Payload Too Large",
  415: "415 Unsupported Media Type",
  429: "429 Too Many Requests",
  500: "500 Internal Server Error",
  503: "503 Service Unavailable",
};
const statusLine = (status: number) => STATUS_TEXT[status] ?? `${status} Status`;

/** Tracks whether the client went away, so async handlers never write to a dead response. */
export interface Reply {
  readonly aborted: boolean;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  text(status: number, body: string | Uint8Array, contentType?: string, headers?: Record<string, string>): void;
  error(err: StarlaneError, headers?: Record<string, string>): void;
}

export function reply(res: HttpResponse): Reply {
  const state = { aborted: false };
  res.onAborted(() => {
    state.aborted = true;
  });
  const send = (
    status: number,
    body: string | Uint8Array,
    contentType: string,
    headers: Record<string, string> = {},
  ) => {
    if (state.aborted) return;
    state.aborted = true; // one answer per request
    res.cork(() => {
      res.writeStatus(statusLine(status)).writeHeader("content-type", contentType);
      for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
      res.end(body);
    });
  };
  return {
    get aborted() {
      return state.aborted;
    },
    json: (status, body, headers) => send(status, JSON.stringify(body), "application/json", headers),
    text: (status, body, contentType = "text/plain; charset=utf-8", headers) =>
      send(status, body, contentType, headers),
    error: (err, headers) =>
      send(err.status, JSON.stringify(err.toBody() satisfies ErrorBody), "application/json", headers),
  };
}

/**
 * Reads a JSON body of at most `limit` bytes. Must be called synchronously in the handler (uWS
 * forbids touching `req` after the first await); rejects with a StarlaneError for the client.
 */
export function readJson(res: HttpResponse, req: HttpRequest, limit = 16 * 1024): Promise<unknown> {
  const contentType = req.getHeader("content-type");
  const declared = Number(req.getHeader("content-length") || "0");
  return new Promise((resolve, reject) => {
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      // Still drain the body so uWS can reuse the connection.
      res.onData(() => {});
      reject(new StarlaneError("STARLANE_ERR_UNSUPPORTED_MEDIA_TYPE"));
      return;
    }
    if (declared > limit) {
      res.onData(() => {});
      reject(new StarlaneError("STARLANE_ERR_BODY_TOO_LARGE"));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onData((chunk, last) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        reject(new StarlaneError("STARLANE_ERR_BODY_TOO_LARGE"));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (!last) return;
      try {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve(JSON.parse(text));
      } catch (cause) {
        reject(new StarlaneError("STARLANE_ERR_BAD_JSON", undefined, { cause }));
      }
    });
  });
}

/** Answer anything that throws with its StarlaneError, or a 500 that hides the cause. */
export function toStarlaneError(err: unknown): StarlaneError {
  return err instanceof StarlaneError ? err : new StarlaneError("STARLANE_ERR_INTERNAL", undefined, { cause: err });
}

export interface OpsOptions {
  registry: Registry;
  /** Ready means "send me traffic": a reason string while not ready, or null when ready. */
  notReadyReason: () => string | null;
}

/** /healthz (the process is alive), /readyz (it can take traffic), /metrics (Prometheus text). */
export function mountOps(app: App, { registry, notReadyReason }: OpsOptions): void {
  app.get("/healthz", (res) => {
    reply(res).json(200, { status: "ok" });
  });
  app.get("/readyz", (res) => {
    const reason = notReadyReason();
    const r = reply(res);
    if (reason === null) r.json(200, { status: "ready" });
    else r.json(503, { status: "not ready", reason });
  });
  app.get("/metrics", (res) => {
    const r = reply(res);
    registry.metrics().then(
      (body) => r.text(200, body, registry.contentType),
      (err) => r.error(toStarlaneError(err)),
    );
  });
}

/** Fallback for unknown paths: a JSON 404 with the shared code, not uWS's empty reply. */
export function mountNotFound(app: App): void {
  app.any("/*", (res) => {
    reply(res).error(new StarlaneError("STARLANE_ERR_NOT_FOUND"));
  });
}

export class ListenError extends Error {
  override name = "ListenError";
}

export interface Listening {
  port: number;
  close(): void;
}

/** Listens on host:port (0 picks a free port). Fails with one clear line if the port is taken. */
export function listen(app: App, host: string, port: number): Listening {
  let token: uws.us_listen_socket | false = false;
  // uWS shares ports (SO_REUSEPORT) unless told otherwise: without this a second process would
  // silently "listen" on a taken port and get half the traffic.
  app.listen(host, port, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, (t) => {
    token = t;
  });
  if (!token) {
    throw new ListenError(`cannot listen on ${host}:${port}: the port is in use or not permitted`);
  }
  const socket: uws.us_listen_socket = token;
  let open = true;
  return {
    port: uws.us_socket_local_port(socket),
    close: () => {
      if (!open) return;
      open = false;
      uws.us_listen_socket_close(socket);
    },
  };
}
