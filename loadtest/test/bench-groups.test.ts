// `npm run bench`'s groups and arguments: the group and row names other work streams compare across
// commits are exactly the agreed ones, every declared row is written whatever its group does, and
// the CLI refuses what it does not know before running anything. (The benchmarks themselves are not
// run here: they are the benchmark.)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BenchUsageError, parseBenchArgs } from "../src/bench/args.js";
import type { BenchContext, BenchGroup } from "../src/bench/group.js";
import { GROUPS } from "../src/bench/groups.js";
import type { BenchRow } from "../src/bench/row.js";
import { runGroups } from "../src/bench/run.js";

// The agreed table (stable names; a change here is a change other streams must hear about).
const TABLE: Record<string, string[]> = {
  capacity: ["zone_capacity_bots", "zone_capacity_bots_stock", "observer_p99_ms_500", "zone_memory_per_bot_kb"],
  bytes: ["bytes_per_bot_per_s", "bytes_per_bot_per_s_stock", "observer_p50_ms", "observer_p99_ms"],
  handoff: ["handoff_gap_p99_ms", "handoffs_per_s"],
  failover: [
    "failover_resume_p99_s",
    "failover_movement_lost_s",
    "failover_dual_owners",
    "failover_stale_writes_accepted",
    "failover_spurious_takeovers",
  ],
  persistence: ["persistence_rows_per_s"],
  logins: ["logins_per_s", "login_burst_tick_p99_ms"],
  trades: ["trades_committed_per_s", "ledger_conservation_violations"],
  chat: ["chat_deliveries_per_s", "chat_delivery_p99_ms"],
};
const NAMES = Object.keys(TABLE);
const ALL_ROWS = NAMES.flatMap((g) => TABLE[g]!);

const BENCH = fileURLToPath(new URL("../src/bench.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "starlane-bench-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const quiet: BenchContext = { quick: true, log: () => {} };

function cli(args: string[]) {
  const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", BENCH, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, out, err })),
  );
}

describe("groups and rows", () => {
  test("the groups are exactly the table's, in its order, each declaring exactly its rows", () => {
    assert.deepEqual(
      GROUPS.map((g) => g.name),
      NAMES,
    );
    for (const g of GROUPS)
      assert.deepEqual(
        g.rows.map((r) => r.name),
        TABLE[g.name],
        `rows of ${g.name}`,
      );
    for (const g of GROUPS) for (const r of g.rows) assert.ok(r.unit, `${r.name} has a unit`);
  });

  test("every declared row is written, in table order, whatever each group's run returns", async () => {
    // Stubbed runs (the real ones are the benchmark): one returns everything, one a part and an
    // undeclared row, one throws, the rest nothing.
    const stubbed: BenchGroup[] = GROUPS.map((g) => {
      const full = g.rows.map(
        (r, i): BenchRow => ({ name: r.name, value: i + 1, unit: "wrong", baseline: 7, note: "n" }),
      );
      if (g.name === "capacity") return { ...g, run: async () => [...full].reverse() };
      if (g.name === "bytes") return { ...g, run: async () => [full[1]!, { ...full[0]!, name: "not_a_row" }] };
      if (g.name === "handoff")
        return {
          ...g,
          run: async () => {
            throw new Error("the script died");
          },
        };
      return { ...g, run: async () => [] };
    });
    const { rows, failed } = await runGroups(stubbed, quiet);
    assert.deepEqual(failed, ["handoff"]);
    assert.deepEqual(
      rows.map((r) => r.name),
      ALL_ROWS,
    );
    const by = new Map(rows.map((r) => [r.name, r]));
    // Returned rows keep their figures; the unit is the declared one.
    assert.equal(by.get("zone_memory_per_bot_kb")!.value, 4);
    assert.equal(by.get("zone_memory_per_bot_kb")!.baseline, 7);
    assert.equal(by.get("zone_memory_per_bot_kb")!.unit, "kB");
    assert.equal(by.get("bytes_per_bot_per_s_stock")!.value, 2);
    // Missing rows are null with a note saying why.
    assert.equal(by.get("bytes_per_bot_per_s")!.value, null);
    assert.match(by.get("bytes_per_bot_per_s")!.note!, /bytes group did not report it/);
    assert.equal(by.get("handoff_gap_p99_ms")!.value, null);
    assert.match(by.get("handoffs_per_s")!.note!, /handoff group failed \(Error: the script died\)/);
    assert.ok(!by.has("not_a_row"));
    for (const r of rows) assert.ok(r.note, `${r.name} has a note`);
  });
});

describe("arguments", () => {
  test("no --only runs every group; --only runs those, in table order, once each", () => {
    assert.deepEqual(parseBenchArgs([], NAMES).groups, NAMES);
    assert.deepEqual(parseBenchArgs(["--only", "chat,capacity"], NAMES).groups, ["capacity", "chat"]);
    assert.deepEqual(parseBenchArgs(["--only", "bytes, bytes"], NAMES).groups, ["bytes"]);
    assert.deepEqual(parseBenchArgs(["--only=persistence"], NAMES).groups, ["persistence"]);
  });

  test("an unknown group fails, naming it and listing the valid ones", () => {
    for (const only of ["capacity,nope", "", "capacity,"]) {
      assert.throws(
        () => parseBenchArgs(["--only", only], NAMES),
        (err: Error) => err instanceof BenchUsageError && err.message.includes(`the groups are: ${NAMES.join(", ")}`),
        only,
      );
    }
    assert.throws(() => parseBenchArgs(["--only", "nope"], NAMES), /unknown group "nope"/);
  });

  test("--quick, --json, --list and the hidden --steps; anything else is refused", () => {
    const a = parseBenchArgs(["--quick", "--json", "out.json", "--steps", "25,50"], NAMES);
    assert.equal(a.quick, true);
    assert.equal(a.json, "out.json");
    assert.deepEqual(a.steps, [25, 50]);
    assert.equal(a.list, false);
    const b = parseBenchArgs(["--list"], NAMES);
    assert.equal(b.list, true);
    assert.equal(b.quick, false);
    assert.equal(b.json, undefined);
    assert.equal(b.steps, undefined);
    assert.throws(() => parseBenchArgs(["--steps", "25,x"], NAMES), BenchUsageError);
    assert.throws(() => parseBenchArgs(["--steps", "0"], NAMES), BenchUsageError);
    assert.throws(() => parseBenchArgs(["--fast"], NAMES), BenchUsageError);
    assert.throws(() => parseBenchArgs(["capacity"], NAMES), BenchUsageError);
  });
});

describe("the CLI", () => {
  test("an unknown group: exit 2 at once, the valid groups listed, nothing run", async () => {
    const r = await cli(["--only", "capacity,warp"]);
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /unknown group "warp"; the groups are: capacity, bytes, handoff, failover, persistence, logins, trades, chat/,
    );
    assert.doesNotMatch(r.err, /==/); // no group started
    assert.equal(r.out, "");
  });

  test("--list prints every group and row and runs nothing", async () => {
    const r = await cli(["--list"]);
    assert.equal(r.code, 0);
    for (const name of [...NAMES, ...ALL_ROWS]) assert.match(r.out, new RegExp(`\\b${name}\\b`));
    assert.equal(r.err, "");
  });

  test("--only with --json writes exactly the chosen group's rows, measured, with their units and notes", async () => {
    const json = join(dir, "rows.json");
    // Every group is built now; persistence is the quick one (a 5000-ship upsert, a few seconds).
    const r = await cli(["--only", "persistence", "--quick", "--json", json]);
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(readFileSync(json, "utf8")) as BenchRow[];
    assert.deepEqual(
      rows.map((x) => x.name),
      [...TABLE.persistence!],
    );
    for (const x of rows) {
      assert.deepEqual(Object.keys(x).sort(), ["baseline", "name", "note", "unit", "value"]);
      assert.ok(typeof x.value === "number" && x.value > 0, `${x.name} measured: ${x.value}`);
    }
    for (const name of rows.map((x) => x.name)) assert.match(r.out, new RegExp(`${name}\\s+\\d`));
  });
});
