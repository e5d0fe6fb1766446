// Runs the real persistence process (src/main.ts) as a child, as the cluster would, and reads the
// port it printed.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { TEST_REDIS_URL } from "@starlane/shared/testing";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));

export interface Child {
  proc: ChildProcess;
  port: Promise<number>;
  exited: Promise<number | null>;
  output(): string;
}

export function startPersistence(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", "src/main.ts"], {
    cwd: PACKAGE,
    env: {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      STARLANE_PERSISTENCE_PORT: "0",
      STARLANE_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let resolvePort: (p: number) => void;
  let rejectPort: (e: Error) => void;
  const port = new Promise<number>((res, rej) => {
    resolvePort = res;
    rejectPort = rej;
  });
  port.catch(() => {});
  proc.stdout!.on("data", (d: Buffer) => {
    out += d;
    const m = /"port":(\d+)[^\n]*persistence listening/.exec(out);
    if (m) resolvePort(Number(m[1]));
  });
  proc.stderr!.on("data", (d: Buffer) => (out += d));
  const exited = once(proc, "exit").then(([code]) => {
    rejectPort(new Error(`persistence exited (${code}) before listening:\n${out}`));
    return code as number | null;
  });
  return { proc, port, exited, output: () => out };
}
