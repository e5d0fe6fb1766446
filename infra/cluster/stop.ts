// `npm run cluster:stop`: SIGTERM to every process of the cluster (zones save their players' ships
// and give their regions back; PM2 waits kill_timeout before SIGKILL), then the PM2 daemon goes.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { clusterDir, pm2, pm2List } from "./pm2.js";

const dir = clusterDir();
const running = pm2List(dir);
if (running.length === 0) {
  process.stdout.write(`no cluster running from ${dir}\n`);
} else {
  // Zones first (they flush to the write-behind stream persistence drains), then the rest.
  const zones = running.filter((p) => p.name.startsWith("zone-")).map((p) => p.name);
  for (const zone of zones) pm2(dir, ["delete", zone]);
  const r = pm2(dir, ["delete", "all"]);
  if (r.status !== 0 && pm2List(dir).length > 0) {
    process.stderr.write(`cluster:stop: pm2 delete failed: ${r.stderr.trim()}\n`);
    process.exit(1);
  }
  process.stdout.write(`stopped ${running.map((p) => p.name).join(", ")}\n`);
}
// Only a daemon that exists: any other pm2 command would start one.
if (existsSync(join(dir, "pm2", "pm2.pid"))) pm2(dir, ["kill"]);
