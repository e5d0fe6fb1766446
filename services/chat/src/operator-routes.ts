// Operator moderation on the chat instance's HTTP port, behind the one operator credential:
//   POST /v1/operator/chat/mute { name, seconds }  (seconds 0 lifts the mute)
//   POST /v1/operator/chat/kick { name }
// Both are announced on the bus, so every instance acts on the player's connections wherever they
// are; the mute is also kept in PostgreSQL, so it holds across reconnects.
import {
  type App,
  type HttpRequest,
  type HttpResponse,
  type Logger,
  type OperatorCheck,
  readJson,
  reply,
  StarlaneError,
  toStarlaneError,
} from "@starlane/shared";
import type { ChatBus } from "./bus.js";
import type { Moderation } from "./moderation.js";

const NAME = /^[A-Za-z0-9_]{3,20}$/;
const MAX_MUTE_S = 365 * 24 * 3600;

export interface OperatorRouteDeps {
  log: Logger;
  check: OperatorCheck;
  bus: ChatBus;
  moderation: Moderation;
}

export function mountOperatorRoutes(app: App, deps: OperatorRouteDeps): void {
  const route = (path: string, work: (body: Record<string, unknown>) => Promise<unknown>) =>
    app.post(path, (res: HttpResponse, req: HttpRequest) => {
      const authorized = deps.check(req.getHeader("authorization") || undefined);
      const body = readJson(res, req, 4096); // reads `req` now, as uWS requires
      const r = reply(res);
      if (!authorized) {
        body.catch(() => {});
        return r.error(new StarlaneError("STARLANE_ERR_OPERATOR_UNAUTHORIZED"));
      }
      body
        .then((b) => {
          if (typeof b !== "object" || b === null || Array.isArray(b))
            throw new StarlaneError("STARLANE_ERR_VALIDATION");
          return work(b as Record<string, unknown>);
        })
        .then(
          (out) => r.json(200, out),
          (err) => {
            const e = toStarlaneError(err);
            if (e.code === "STARLANE_ERR_INTERNAL") deps.log.error({ err }, "chat operator route failed");
            r.error(e);
          },
        );
    });

  const nameOf = (body: Record<string, unknown>) => {
    if (typeof body.name !== "string" || !NAME.test(body.name))
      throw new StarlaneError("STARLANE_ERR_VALIDATION", "name");
    return body.name.toLowerCase();
  };

  route("/v1/operator/chat/mute", async (body) => {
    const name = nameOf(body);
    const seconds = body.seconds;
    if (!Number.isSafeInteger(seconds) || (seconds as number) < 0 || (seconds as number) > MAX_MUTE_S) {
      throw new StarlaneError("STARLANE_ERR_VALIDATION", "seconds");
    }
    const until = (seconds as number) === 0 ? 0 : Date.now() + (seconds as number) * 1000;
    await deps.moderation.muteByOperator(name, until);
    await deps.bus.publish({ k: "mute", name, until });
    deps.log.info({ player: name, seconds }, "operator muted a player in chat");
    return { name, mutedUntil: until === 0 ? null : new Date(until).toISOString() };
  });

  route("/v1/operator/chat/kick", async (body) => {
    const name = nameOf(body);
    await deps.bus.publish({ k: "kick", name });
    deps.log.info({ player: name }, "operator kicked a player from chat");
    return { name, kicked: true };
  });
}
