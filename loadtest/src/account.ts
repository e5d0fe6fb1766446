// The login and world-entry HTTP API as a bot uses it. Accounts come from the operator API when
// an operator credential is at hand (`POST /v1/operator/accounts`: bulk, no password hashing, not
// subject to the per-IP registration limit meant for players), from an accounts file of an earlier
// run (its refresh tokens renewed through `POST /v1/sessions/refresh`), or else through the public
// API: register, or log in when the name exists. Retries what the server says to retry (429/503 +
// Retry-After).
import { readFileSync, renameSync, writeFileSync } from "node:fs";

export interface Session {
  accountId: string;
  name: string;
  accessToken: string;
  /** Renews the session without a password (kept in the accounts file). */
  refreshToken?: string;
}

export interface WorldSeat {
  roomId: string;
  reservation: unknown;
  address: string;
  /** Chat's WebSocket URL, when the target has chat. */
  chat?: string;
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
  return {
    accountId: account.id,
    name: String(account.name),
    accessToken: body.accessToken,
    ...(typeof body.refreshToken === "string" ? { refreshToken: body.refreshToken } : {}),
  };
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
  return logIn(target, name, password, deadline);
}

/** Log in to an account that exists (a renewal: no registration attempt spent on it). */
export async function logIn(target: string, name: string, password: string, deadline: number): Promise<Session> {
  const login = await callRetrying(
    `${target}/v1/sessions`,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, password }) },
    deadline,
  );
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

const postJson = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** A new session from a refresh token (which is spent: the session carries its successor). */
export async function refreshSession(target: string, refreshToken: string, deadline: number): Promise<Session> {
  const r = await callRetrying(`${target}/v1/sessions/refresh`, postJson({ refreshToken }), deadline);
  if (r.status === 200) return sessionOf(r.body);
  throw refused("refresh", r);
}

/** Accounts per operator request (the login service's documented maximum). */
export const PROVISION_BATCH = 1000;

/**
 * Load-test accounts from the operator API, made or reused by name. `taken` lists names that
 * belong to real accounts: the operator API issues nothing for those.
 */
export async function provisionAccounts(
  target: string,
  operatorToken: string,
  names: string[],
  deadline: number,
): Promise<{ sessions: Session[]; taken: string[] }> {
  const out = { sessions: [] as Session[], taken: [] as string[] };
  for (let i = 0; i < names.length; i += PROVISION_BATCH) {
    const batch = names.slice(i, i + PROVISION_BATCH);
    const r = await callRetrying(
      `${target}/v1/operator/accounts`,
      postJson({ names: batch }, { authorization: `Bearer ${operatorToken}` }),
      deadline,
    );
    if (r.status !== 200 || !Array.isArray(r.body?.accounts)) throw refused("provision accounts", r);
    for (const a of r.body.accounts as Body[]) {
      out.sessions.push(sessionOf({ ...a, account: { id: a.accountId, name: a.name } }));
    }
    out.taken.push(...((r.body.taken as string[] | undefined) ?? []));
  }
  return out;
}

/** What `--accounts-file` holds: per bot name, its account and a refresh token. */
interface AccountsFile {
  version: 1;
  /** The front door these accounts live on; a file for another target is not used. */
  target: string;
  accounts: { name: string; accountId: string; refreshToken: string }[];
}

export interface AccountPoolOptions {
  target: string;
  /** For the public API fallback (register, or log in to an existing account). */
  password: string;
  operatorToken?: string;
  accountsFile?: string;
  /** Bounded parallel refreshes while preparing. */
  concurrency?: number;
}

/** How the accounts of a run were obtained, for the summary. */
export interface PoolReport {
  /** From the accounts file, renewed with their refresh tokens. */
  refreshed: number;
  /** Made or reused through the operator API. */
  provisioned: number;
  /** Left to the public API (register or log in, per bot, as it joins). */
  public: number;
  notes: string[];
}

/**
 * The bots' sessions, by bot name. `prepare` gets as many as it can before the bots start (file
 * first, then the operator API in bulk); a bot asks `session` when it joins, and again with
 * `renew` when its access token was refused. Whatever the file, the operator API or the public API
 * gives is kept and `save`d back, so the next run renews instead of creating.
 */
export class AccountPool {
  readonly #o: AccountPoolOptions;
  #operatorToken: string | undefined;
  readonly #sessions = new Map<string, Session>();
  /** The file's entries, those of names this run does not use included (a smaller run keeps them). */
  readonly #saved = new Map<string, { accountId: string; refreshToken: string }>();

  constructor(o: AccountPoolOptions) {
    this.#o = o;
    this.#operatorToken = o.operatorToken;
  }

  async prepare(names: string[], deadline: number): Promise<PoolReport> {
    const report: PoolReport = { refreshed: 0, provisioned: 0, public: 0, notes: [] };
    this.#load(report);
    const fromFile = names.filter((n) => this.#saved.has(n));
    let next = 0;
    const worker = async () => {
      while (next < fromFile.length) {
        const name = fromFile[next++]!;
        try {
          this.#keep(await refreshSession(this.#o.target, this.#saved.get(name)!.refreshToken, deadline));
          report.refreshed++;
        } catch {
          // Spent, expired or revoked: made again below.
        }
      }
    };
    await Promise.all(Array.from({ length: this.#o.concurrency ?? 8 }, worker));
    if (fromFile.length > report.refreshed) {
      report.notes.push(`${fromFile.length - report.refreshed} refresh token(s) in the accounts file were refused`);
    }

    const missing = names.filter((n) => !this.#sessions.has(n));
    if (missing.length && this.#operatorToken) {
      try {
        const { sessions, taken } = await provisionAccounts(this.#o.target, this.#operatorToken, missing, deadline);
        for (const s of sessions) this.#keep(s);
        report.provisioned = sessions.length;
        if (taken.length) {
          report.notes.push(
            `${taken.length} bot name(s) belong to real accounts (${taken.slice(0, 3).join(", ")}${taken.length > 3 ? ", ..." : ""}): those bots log in with --password`,
          );
        }
      } catch (err) {
        this.#operatorToken = undefined;
        report.notes.push(
          `the operator API refused to provision accounts (${(err as Error).message}): bots register through the public API, where the per-IP limits apply`,
        );
      }
    }
    report.public = names.filter((n) => !this.#sessions.has(n)).length;
    this.save();
    return report;
  }

  /** The bot's session; `renew` when the last one's access token was refused. */
  async session(name: string, deadline: number, renew = false): Promise<Session> {
    const have = this.#sessions.get(name);
    if (have && !renew) return have;
    if (have?.refreshToken) {
      try {
        return this.#keep(await refreshSession(this.#o.target, have.refreshToken, deadline));
      } catch {}
    }
    if (this.#operatorToken) {
      try {
        const { sessions } = await provisionAccounts(this.#o.target, this.#operatorToken, [name], deadline);
        if (sessions[0]) return this.#keep(sessions[0]);
      } catch {}
    }
    return this.#keep(await obtainSession(this.#o.target, name, this.#o.password, deadline));
  }

  /** Writes the accounts file (owner-only: refresh tokens are credentials), if there is one. */
  save(): void {
    const path = this.#o.accountsFile;
    if (!path) return;
    const file: AccountsFile = {
      version: 1,
      target: this.#o.target,
      accounts: [...this.#saved].map(([name, a]) => ({ name, ...a })),
    };
    // Written aside and renamed: a run stopped mid-write leaves the old file, not half a file.
    const aside = `${path}.${process.pid}.tmp`;
    writeFileSync(aside, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(aside, path);
  }

  #keep(s: Session): Session {
    this.#sessions.set(s.name, s);
    if (s.refreshToken) this.#saved.set(s.name, { accountId: s.accountId, refreshToken: s.refreshToken });
    return s;
  }

  #load(report: PoolReport): void {
    const path = this.#o.accountsFile;
    if (!path) return;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // the first run writes it
      throw err;
    }
    const file = JSON.parse(text) as Partial<AccountsFile>;
    if (file.version !== 1 || !Array.isArray(file.accounts)) {
      throw new Error(`${path} is not a loadtest accounts file (version 1)`);
    }
    if (file.target !== this.#o.target) {
      report.notes.push(
        `the accounts file was written for ${file.target}, not ${this.#o.target}: not used (overwritten)`,
      );
      return;
    }
    for (const a of file.accounts) this.#saved.set(a.name, { accountId: a.accountId, refreshToken: a.refreshToken });
  }
}
