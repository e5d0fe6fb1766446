// PM2, as `npm run cluster`, `cluster:stop` and `zonectl scale` drive it: the CLI of the pm2
// package in node_modules, with its home inside the cluster folder so a cluster on this machine
// never touches another's PM2 daemon (or a user's own).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const ECOSYSTEM = join(ROOT, "infra/cluster/ecosystem.config.cjs");
const PM2_BIN = createRequire(import.meta.url).resolve("pm2/bin/pm2");

/** What `npm run cluster` decided, saved for the ecosystem file, zonectl and cluster:stop. */
export interface ClusterSettings {
  zones: number;
  redisUrl: string;
  databaseUrl: string;
  keyPrefix: string;
  host: string;
  publicHost: string;
  /** Front door; chat on port+1 and port+3, persistence health on port+2. */
  port: number;
  zonePort: number;
  cols: number;
  rows: number;
  leaseTtlMs: number;
  operatorTokenFile: string;
  keyEncryptionKeyFile: string;
  logLevel: string;
}

export const clusterDir = (env: NodeJS.ProcessEnv = process.env) =>
  resolve(ROOT, env.STARLANE_CLUSTER_DIR || ".starlane/cluster");

export function readSettings(dir: string): ClusterSettings | undefined {
  const file = join(dir, "cluster.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as ClusterSettings) : undefined;
}

export interface Pm2Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `pm2 <args>` against the cluster's own daemon. */
export function pm2(dir: string, args: string[], env: Record<string, string> = {}): Pm2Result {
  const r = spawnSync(process.execPath, [PM2_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, PM2_HOME: join(dir, "pm2"), STARLANE_CLUSTER_DIR: dir, ...env },
    encoding: "utf8",
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export interface Pm2Process {
  name: string;
  pid: number;
  status: string;
  restarts: number;
}

/** The processes PM2 runs for this cluster (empty when its daemon is not running). */
export function pm2List(dir: string): Pm2Process[] {
  if (!existsSync(join(dir, "pm2", "pm2.pid"))) return [];
  const r = pm2(dir, ["jlist"]);
  if (r.status !== 0) throw new Error(`pm2 jlist failed: ${r.stderr.trim() || r.stdout.trim()}`);
  // jlist prints the JSON array on its last line (earlier lines may be daemon notices).
  const line = r.stdout.trim().split("\n").at(-1) ?? "[]";
  type Row = { name: string; pid: number; pm2_env?: { status?: string; restart_time?: number } };
  return (JSON.parse(line) as Row[]).map((p) => ({
    name: String(p.name),
    pid: Number(p.pid),
    status: String(p.pm2_env?.status),
    restarts: Number(p.pm2_env?.restart_time ?? 0),
  }));
}
