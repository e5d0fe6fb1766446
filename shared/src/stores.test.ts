import assert from "node:assert/strict";
import { test } from "node:test";
import { connectPostgres, connectRedis, UnreachableError } from "./stores.js";

test("an unreachable Redis fails fast with one message naming it and how to start it", async () => {
  const t0 = Date.now();
  await assert.rejects(
    connectRedis("redis://127.0.0.1:1", { connectTimeout: 1000, maxRetriesPerRequest: 0 }),
    (err) => {
      assert.ok(err instanceof UnreachableError);
      assert.match(err.message, /^Redis at redis:\/\/127\.0\.0\.1:1 is unreachable .*redis-server/);
      return true;
    },
  );
  assert.ok(Date.now() - t0 < 5000);
});

test("an unreachable PostgreSQL fails with one message naming it and hiding the password", async () => {
  await assert.rejects(connectPostgres("postgres://postgres:secret@127.0.0.1:1/x"), (err) => {
    assert.ok(err instanceof UnreachableError);
    assert.match(err.message, /^PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/x is unreachable/);
    assert.doesNotMatch(err.message, /secret/);
    return true;
  });
});
