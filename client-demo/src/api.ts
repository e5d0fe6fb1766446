// The front door's HTTP API as the browser uses it: register, log in, refresh, enter the world.
// Every failure becomes an ApiError carrying the server's `{ code, message }`, so the page can show
// the message (written for players) and decide on the code.
import type { ErrorBody, WorldConfig } from "@starlane/shared/client";

export interface Session {
  account: { id: string; name: string };
  accessToken: string;
  refreshToken: string;
}

export interface Seat {
  roomId: string;
  reservation: unknown;
  address: string;
  world?: WorldConfig;
  /** Chat's WebSocket URL, when the system has chat. */
  chat?: string;
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds the server asked us to wait (Retry-After), if it did. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

async function call<T>(path: string, body: unknown, token?: string, method = "POST"): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The server cannot be reached. Is `npm start` still running?");
  }
  const data = (await res.json().catch(() => null)) as (Partial<ErrorBody> & T) | null;
  if (res.ok && data) return data;
  const retry = Number(res.headers.get("retry-after"));
  throw new ApiError(
    res.status,
    typeof data?.code === "string" ? data.code : `HTTP_${res.status}`,
    typeof data?.message === "string" ? data.message : `The server answered ${res.status}.`,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

export const register = (name: string, password: string) => call<Session>("/v1/accounts", { name, password });
export const logIn = (name: string, password: string) => call<Session>("/v1/sessions", { name, password });
export const refresh = (refreshToken: string) => call<Session>("/v1/sessions/refresh", { refreshToken });
export const enterWorld = (accessToken: string) => call<Seat>("/v1/world/enter", undefined, accessToken);

/** Which zone process owns each region now (`GET /v1/world/map`). */
export interface WorldMap {
  world: WorldConfig;
  regions: { region: string; zone: string | null; address: string | null; epoch: number | null }[];
}
export const worldMap = () => call<WorldMap>("/v1/world/map", undefined, undefined, "GET");
