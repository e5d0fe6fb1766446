import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const RUN = fileURLToPath(new URL("./run.ts", import.meta.url));
const runWith = (env: Record<string, string>) =>
  spawnSync(process.execPath, ["--conditions=starlane-source", "--import", "tsx", RUN, "no-such-test-file"], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 20_000,
  });

test("npm test stops at once, saying which store is down and how to start it", () => {
  const t0 = Date.now();
  const redis = runWith({ REDIS_URL: "redis://127.0.0.1:1" });
  assert.equal(redis.status, 2);
  assert.match(redis.stderr, /Redis at redis:\/\/127\.0\.0\.1:1 is unreachable.*start it with: redis-server/);
  const pg = runWith({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/postgres" });
  assert.equal(pg.status, 2);
  assert.match(pg.stderr, /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/postgres is unreachable.*pg_ctlcluster/);
  assert.ok(Date.now() - t0 < 15_000, "preflight must not wait on timeouts");
});
