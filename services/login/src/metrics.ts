// What an operator watches on the login service: answers by route and code, the password-hash
// queue (a full queue means logins are being refused), and refresh-token reuse (a stolen token).
import { Counter, Gauge, type Registry } from "@starlane/shared";
import type { PasswordHasher } from "./passwords.js";

export interface LoginMetrics {
  answered(route: string, code: string): void;
  refreshReuse(): void;
}

export function createLoginMetrics(registry: Registry | undefined, hasher: PasswordHasher): LoginMetrics {
  if (!registry) return { answered() {}, refreshReuse() {} };
  const registers = [registry];
  const answers = new Counter({
    name: "starlane_login_answers_total",
    help: "Login API answers by route and code (ok or a STARLANE_ERR_* code)",
    labelNames: ["route", "code"] as const,
    registers,
  });
  const reuse = new Counter({
    name: "starlane_login_refresh_reuse_total",
    help: "Spent refresh tokens presented again (the family was revoked)",
    registers,
  });
  new Gauge({
    name: "starlane_login_hashes_running",
    help: "Password hashes running now",
    registers,
    collect() {
      this.set(hasher.running);
    },
  });
  new Gauge({
    name: "starlane_login_hashes_waiting",
    help: "Password hashes waiting for a slot",
    registers,
    collect() {
      this.set(hasher.waiting);
    },
  });
  return {
    answered: (route, code) => answers.inc({ route, code }),
    refreshReuse: () => reuse.inc(),
  };
}
