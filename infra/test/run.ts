// `npm test`: checks that Redis and PostgreSQL answer (failing at once, with how to start them,
// if not), clears test databases left by crashed runs, then runs every *.test.ts in the repository
// with node's test runner. Arguments filter the files: `npm test -- services/zone`.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { connectPostgres, connectRedis, UnreachableError } from "@starlane/shared";
import { TEST_ADMIN_DATABASE_URL, TEST_DB_PATTERN, TEST_REDIS_URL } from "@starlane/shared/testing";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ROOTS = ["shared", "services", "client-demo", "loadtest", "infra"];
const STALE_AFTER_S = 6 * 3600;

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findTests(path, out);
    else if (/\.test\.(ts|mjs|cjs)$/.test(entry.name)) out.push(relative(ROOT, path));
  }
  return out;
}

async function preflight(): Promise<void> {
  const redis = await connectRedis(TEST_REDIS_URL, { connectTimeout: 3000, maxRetriesPerRequest: 0 });
  redis.disconnect();
  const admin = await connectPostgres(TEST_ADMIN_DATABASE_URL, { max: 1 });
  try {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'starlane_t_%'");
    const now = Date.now() / 1000;
    for (const { datname } of rows) {
      const born = Number(TEST_DB_PATTERN.exec(datname)?.[1]);
      if (born && now - born > STALE_AFTER_S) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

try {
  await preflight();
} catch (err) {
  if (!(err instanceof UnreachableError)) throw err;
  process.stderr.write(`npm test: ${err.message}\n(set REDIS_URL / DATABASE_URL to use other servers)\n`);
  process.exit(2);
}

const filters = process.argv.slice(2);
const files = ROOTS.flatMap((r) => findTests(join(ROOT, r)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`npm test: no test files match ${filters.join(" ")}\n`);
  process.exit(2);
}

// Two files at once: most tests wait on sockets, but the failover, cluster and browser tests each run
// several processes, and at four files on two cores the starved moments failed one timing-sensitive
// test in most fresh-clone runs (a different one each time; on 2026-12-01, 6 of 9 runs across two
// sessions, the suite then taking ~4 minutes).
const child = spawn(
  process.execPath,
  [
    "--conditions=starlane-source",
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    "--test-timeout=180000",
    "--test-reporter=spec",
    ...files,
  ],
  { cwd: ROOT, stdio: "inherit" },
);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
