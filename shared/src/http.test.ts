import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createApp, ListenError, listen, mountNotFound, mountOps, readJson, reply, toStarlaneError } from "./http.js";
import { Counter, createRegistry } from "./metrics.js";

let base = "";
let ready = false;
let close = () => {};

before(() => {
  const registry = createRegistry("http-test");
  new Counter({ name: "starlane_test_hits_total", help: "test", registers: [registry] }).inc(3);
  const app = createApp();
  mountOps(app, { registry, notReadyReason: () => (ready ? null : "warming up") });
  app.post("/echo", (res, req) => {
    const r = reply(res);
    readJson(res, req, 64).then(
      (body) => r.json(200, { body }),
      (err) => r.error(toStarlaneError(err)),
    );
  });
  mountNotFound(app);
  const l = listen(app, "127.0.0.1", 0);
  base = `http://127.0.0.1:${l.port}`;
  close = l.close;
});
after(() => close());

test("/healthz answers ok; /readyz follows readiness with a reason", async () => {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const notReady = await fetch(`${base}/readyz`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), { status: "not ready", reason: "warming up" });
  ready = true;
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});

test("/metrics serves Prometheus text with default and service metrics", async () => {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await res.text();
  assert.match(text, /starlane_test_hits_total\{service="http-test"\} 3/);
  assert.match(text, /starlane_process_cpu_user_seconds_total/);
});

test("JSON bodies: good, malformed, wrong type, oversized; unknown paths get a coded 404", async () => {
  const post = (body: string, type = "application/json") =>
    fetch(`${base}/echo`, { method: "POST", headers: { "content-type": type }, body });
  assert.deepEqual(await (await post('{"a":1}')).json(), { body: { a: 1 } });
  const bad = await post("{nope");
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, "STARLANE_ERR_BAD_JSON");
  const wrongType = await post('{"a":1}', "text/plain");
  assert.equal(wrongType.status, 415);
  const big = await post(JSON.stringify({ a: "x".repeat(100) }));
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { code: string }).code, "STARLANE_ERR_BODY_TOO_LARGE");
  const missing = await fetch(`${base}/nope`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, "STARLANE_ERR_NOT_FOUND");
});

test("listening on a taken port fails with one clear error", () => {
  const port = Number(new URL(base).port);
  assert.throws(() => listen(createApp(), "127.0.0.1", port), ListenError);
});
