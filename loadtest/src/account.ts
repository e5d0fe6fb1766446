// The public login and world-entry HTTP API as a bot uses it: register (or log in when the name
// exists, so accounts are reused across runs and the scrypt cost is paid once per name), then
// `POST /v1/world/enter` for a seat. Retries what the server says to retry (429/503 + Retry-After).

export interface Session {
  accountId: string;
  name: string;
  accessToken: string;
}

export interface WorldSeat {
  roomId: string;
  reservation: unknown;
  address: string;
}

/** A refusal the bot records under its code (STARLANE_ERR_* from the server, or a transport code). */
export class BotError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the API answers: a session, a seat, or an error body; read field by field. */
type Body = Record<string, unknown> & { code?: unknown; message?: unknown };

interface Answer {
  status: number;
  body: Body | null;
  retryAfterS: number;
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // Undici puts the reason (ECONNREFUSED, ENOTFOUND, "bad port") in `cause`.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const code =
      (err as Error).name === "TimeoutError"
        ? "HTTP_TIMEOUT"
        : `HTTP_UNREACHABLE${cause?.code ? `_${cause.code}` : ""}`;
    throw new BotError(
      code,
      `${init.method ?? "GET"} ${url}: ${(err as Error).message} (${cause?.code ?? cause?.message ?? "no cause"})`,
    );
  }
  const text = await res.text();
  let body: Body | null = null;
  try {
    body = text ? (JSON.parse(text) as Body) : null;
  } catch {
    body = { code: `HTTP_${res.status}`, message: text.slice(0, 200) };
  }
  return { status: res.status, body, retryAfterS: Number(res.headers.get("retry-after") ?? 1) || 1 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls, and waits out 429/503 answers until `deadline` (epoch ms). */
async function callRetrying(url: string, init: RequestInit, deadline: number, timeoutMs = 30_000) {
  for (;;) {
    const r = await call(url, init, Math.max(1000, Math.min(timeoutMs, deadline - Date.now())));
    if ((r.status === 429 || r.status === 503) && Date.now() + r.retryAfterS * 1000 < deadline) {
      await sleep(r.retryAfterS * 1000 * (0.5 + Math.random()));
      continue;
    }
    return r;
  }
}

const refused = (what: string, r: Answer) =>
  new BotError(
    typeof r.body?.code === "string" ? r.body.code : `HTTP_${r.status}`,
    `${what}: ${r.status} ${r.body?.message ?? ""}`.trim(),
  );

function sessionOf(body: Body | null): Session {
  const account = body?.account as { id?: unknown; name?: unknown } | undefined;
  if (typeof account?.id !== "string" || typeof body?.accessToken !== "string") {
    throw new BotError("BAD_SESSION", `the login answer is not a session: ${JSON.stringify(body).slice(0, 200)}`);
  }
  return { accountId: account.id, name: String(account.name), accessToken: body.accessToken };
}

/** Registers `name`, or logs in when it is taken (a reused bot account). */
export async function obtainSession(
  target: string,
  name: string,
  password: string,
  deadline: number,
): Promise<Session> {
  const json = {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password }),
  };
  const reg = await callRetrying(`${target}/v1/accounts`, json, deadline);
  if (reg.status === 201) return sessionOf(reg.body);
  if (reg.body?.code !== "STARLANE_ERR_NAME_TAKEN") throw refused("register", reg);
  const login = await callRetrying(`${target}/v1/sessions`, json, deadline);
  if (login.status === 200) return sessionOf(login.body);
  throw refused("log in", login);
}

export async function enterWorld(target: string, accessToken: string, deadline: number): Promise<WorldSeat> {
  const r = await callRetrying(
    `${target}/v1/world/enter`,
    { method: "POST", headers: { authorization: `Bearer ${accessToken}` } },
    deadline,
  );
  if (r.status !== 200) throw refused("world entry", r);
  const seat = r.body as Partial<WorldSeat> | null;
  if (typeof seat?.address !== "string" || !seat.reservation) {
    throw new BotError("BAD_SEAT", `world entry answered without a seat: ${JSON.stringify(r.body).slice(0, 200)}`);
  }
  return seat as WorldSeat;
}
