// Prometheus and Grafana as code: the scrape config and alert rules pass promtool (Debian's
// `prometheus` package; .ci/run installs it), the alert rules' unit tests fire and stay quiet where
// they should, and the Grafana dashboards build, with every query valid PromQL (checked by promtool
// as recording rules) over metric names the services really export.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { DASHBOARDS } from "../grafana/dashboards.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROM = join(ROOT, "infra/prometheus");
const tmp = mkdtempSync(join(tmpdir(), "starlane-prom-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function promtool(...args: string[]) {
  const r = spawnSync("promtool", args, { cwd: PROM, encoding: "utf8" });
  assert.ok(!r.error, `promtool is missing (apt-get install -y prometheus): ${r.error?.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("promtool: scrape config, alert rules and their unit tests", () => {
  for (const args of [
    ["check", "config", "prometheus.yml"],
    ["check", "rules", "alerts.yml"],
    ["test", "rules", "alerts.test.yml"],
  ]) {
    const r = promtool(...args);
    assert.equal(r.status, 0, `promtool ${args.join(" ")}:\n${r.out}`);
  }
  // promtool really checks: a broken expression is refused.
  const bad = join(tmp, "bad.yml");
  writeFileSync(bad, stringify({ groups: [{ name: "x", rules: [{ alert: "X", expr: "sum(rate(x[5m])" }] }] }));
  assert.notEqual(promtool("check", "rules", bad).status, 0);
});

/** Every metric name the services define (`name: "starlane_..."` in their metrics code). */
function definedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "test") continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts"))
        for (const m of readFileSync(p, "utf8").matchAll(/name: "(starlane_\w+)"/g)) names.add(m[1]!);
    }
  };
  walk(join(ROOT, "services"));
  walk(join(ROOT, "shared/src"));
  return names;
}

// Panels that chart a metric another issue adds; named here so a typo cannot hide among them.
const FROM_OTHER_ISSUES = new Set(["starlane_zone_takeovers_total"]);

test("Grafana dashboards build; every query is valid PromQL over real metric names (alert rules too)", () => {
  const defined = definedMetrics();
  const exprs: string[] = [];
  for (const [uid, build] of Object.entries(DASHBOARDS)) {
    const d = build() as { uid?: string; panels?: { type: string; title?: string; targets?: { expr?: string }[] }[] };
    assert.equal(d.uid, uid);
    const charts = (d.panels ?? []).filter((p) => p.type !== "row");
    for (const p of charts) {
      assert.ok(p.targets?.length, `${p.title} has queries`);
      for (const t of p.targets!) exprs.push(t.expr!);
    }
    const titles = charts.map((p) => p.title).join(" | ");
    for (const want of [
      "Tick p99",
      "Players per region",
      "Handoffs",
      "Takeovers",
      "Persistence lag",
      "Log-ins",
      "Chat throughput",
    ])
      assert.ok(titles.includes(want), `${uid} has a "${want}" panel`);
    // What provisioning loads must be what the code builds.
    const file = JSON.parse(readFileSync(join(ROOT, `infra/grafana/dashboards/${uid}.json`), "utf8"));
    assert.deepEqual(file, JSON.parse(JSON.stringify(d)), `${uid}.json is stale: npm run dashboards`);
  }
  // The alert rules are held to the same names.
  const alerts = parse(readFileSync(join(PROM, "alerts.yml"), "utf8")) as { groups: { rules: { expr: string }[] }[] };
  const alertExprs = alerts.groups.flatMap((g) => g.rules.map((r) => r.expr));
  for (const expr of [...exprs, ...alertExprs]) {
    for (const m of expr.matchAll(/\b(starlane_\w+?)(_bucket|_sum|_count)?\b/g)) {
      const name = m[2] && !defined.has(`${m[1]}${m[2]}`) ? m[1]! : `${m[1]}${m[2] ?? ""}`;
      assert.ok(
        defined.has(name) || FROM_OTHER_ISSUES.has(name),
        `${name} (in ${expr}) is not a metric any service exports`,
      );
    }
  }
  const rules = join(tmp, "dashboards.yml");
  writeFileSync(
    rules,
    stringify({
      groups: [
        {
          name: "dashboards",
          rules: exprs.map((e, i) => ({
            record: `starlane:dashboard:q${i}`,
            expr: e.replaceAll("$__rate_interval", "5m"),
          })),
        },
      ],
    }),
  );
  const r = promtool("check", "rules", rules);
  assert.equal(r.status, 0, r.out);
});
