// The fuzzer against the real `npm start` (its own process, port 0, a temporary data dir): a short
// run with many closing frames. Nothing crashes, every close is documented, the zone keeps ticking,
// malformed-but-decodable messages get `error` replies, and the bystander's inputs are acknowledged.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runFuzz } from "../src/fuzz/run.js";

const MAIN = fileURLToPath(new URL("../../services/embedded/src/main.ts", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "starlane-fuzz-"));
let child: ChildProcess;
let target = "";
let serverOut = "";

before(async () => {
  const { DATABASE_URL: _d, REDIS_URL: _r, STARLANE_OPERATOR_TOKEN: _t, ...base } = process.env;
  child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", MAIN], {
    env: {
      ...base,
      STARLANE_FRONT_DOOR_PORT: "0",
      STARLANE_ZONE_PORT: "0",
      STARLANE_DATA_DIR: join(scratch, "pgdata"),
      STARLANE_OPERATOR_TOKEN_FILE: join(scratch, "operator-token"),
      STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE: join(scratch, "key-encryption-key"),
      STARLANE_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (serverOut += d));
  child.stderr!.on("data", (d) => (serverOut += d));
  target = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /browser client\s+(http:\/\/\S+)\//.exec(serverOut);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1].replace("localhost", "127.0.0.1"));
      }
    }, 50);
    child.once("exit", (code) => reject(new Error(`npm start exited ${code}: ${serverOut}`)));
  });
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  rmSync(scratch, { recursive: true, force: true });
});

test("3000 fuzzed frames: no crash, every close documented, error replies by code, the zone still ticking", async () => {
  const report = await runFuzz({
    target,
    operatorToken: readFileSync(join(scratch, "operator-token"), "utf8").trim(),
    frames: 3000,
    seats: 10,
    perSeat: 40,
    closing: 0.03,
    seed: 42,
    idleS: 2,
    maxMessageBytes: 1024,
    log: () => {},
  });
  const why = `${JSON.stringify(report)}\nserver: ${serverOut.slice(-2000)}`;
  assert.equal(report.framesSent, 3000, why);
  assert.deepEqual(report.crashes, [], why);
  assert.deepEqual(report.undocumentedCloses, {}, why);
  assert.ok(report.zoneTicks.ticking, why);
  // Some closing frames did close their connection, with the codes for them.
  const closes = Object.keys(report.closesByCode).map(Number);
  assert.ok(closes.length > 0, why);
  // 4102/4103 for oversized and malformed frames, 1006 past the transport's cap, and 4000 when random
  // bytes happen to start with Colyseus's LEAVE_ROOM byte (12, with any modifier bits): a leave.
  for (const code of closes) assert.ok([4000, 4102, 4103, 1006].includes(code), `close ${code}: ${why}`);
  for (const code of ["STARLANE_ERR_INVALID_INPUT", "STARLANE_ERR_MALFORMED_MESSAGE", "STARLANE_ERR_HANDOFF_REFUSED"])
    assert.ok((report.errorsByCode[code] ?? 0) > 0, `${code}: ${why}`);
  assert.ok(report.bystander.during.count > 0, why);
  assert.deepEqual(report.bystander.closes, {}, why);
  // The server process is still up.
  assert.equal(child.exitCode, null);
});
