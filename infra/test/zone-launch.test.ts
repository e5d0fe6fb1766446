// Every launch of a zone process carries the zone's Node flags (services/zone/package.json
// "starlane.nodeFlags": its young-generation size): the start scripts, the PM2 ecosystem of
// `npm run cluster`, the Kubernetes StatefulSet and the benchmark's zone process.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const require = createRequire(import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), "utf8"));
const FLAGS: string[] = json("services/zone/package.json").starlane.nodeFlags;

test("the zone's Node flags are set", () => {
  assert.ok(FLAGS.length > 0 && FLAGS.every((f) => f.startsWith("--")), JSON.stringify(FLAGS));
});

test("npm start (embedded) and the zone package's start script carry the zone's flags", () => {
  for (const script of [json("package.json").scripts.start, json("services/zone/package.json").scripts.start])
    for (const f of FLAGS) assert.ok(script.split(" ").includes(f), `${script} lacks ${f}`);
});

test("the Kubernetes zone container runs node with the zone's flags", () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, "infra/k8s/zone.yaml"), "utf8")).map((d) => d.toJSON());
  const sts = docs.find((d) => d?.kind === "StatefulSet" && d.metadata.name === "zone");
  const command: string[] = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === "zone").command;
  assert.equal(command[0], "node");
  assert.deepEqual(command.slice(1, 1 + FLAGS.length), FLAGS);
  assert.equal(command.at(-1), "services/zone/dist/main.js");
});

test("the PM2 ecosystem gives zones (only) the zone's flags", () => {
  const dir = mkdtempSync(join(tmpdir(), "starlane-eco-"));
  const saved = { dir: process.env.STARLANE_CLUSTER_DIR, zones: process.env.STARLANE_CLUSTER_ZONES };
  try {
    const token = join(dir, "operator-token");
    writeFileSync(token, "x".repeat(64));
    writeFileSync(
      join(dir, "cluster.json"),
      JSON.stringify({
        zones: 2,
        cols: 4,
        rows: 4,
        port: 8080,
        zonePort: 2567,
        host: "127.0.0.1",
        publicHost: "127.0.0.1",
        operatorTokenFile: token,
        leaseTtlMs: 2000,
      }),
    );
    process.env.STARLANE_CLUSTER_DIR = dir;
    delete process.env.STARLANE_CLUSTER_ZONES;
    const path = require.resolve("../cluster/ecosystem.config.cjs");
    delete require.cache[path];
    const { apps } = require(path) as { apps: { name: string; node_args: string[] }[] };
    const zones = apps.filter((a) => a.name.startsWith("zone-"));
    assert.equal(zones.length, 2);
    for (const z of zones) assert.deepEqual(z.node_args.slice(0, FLAGS.length), FLAGS);
    for (const a of apps.filter((x) => !x.name.startsWith("zone-")))
      for (const f of FLAGS) assert.ok(!a.node_args.includes(f), `${a.name} has the zone's ${f}`);
  } finally {
    for (const [k, v] of [
      ["STARLANE_CLUSTER_DIR", saved.dir],
      ["STARLANE_CLUSTER_ZONES", saved.zones],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the benchmark starts its zone process with the zone's flags", async () => {
  const { ZONE_NODE_FLAGS } = await import("../../loadtest/src/zone-child.js");
  assert.deepEqual(ZONE_NODE_FLAGS, FLAGS);
});
