// Runs one of the services' own benchmark scripts (services/*/bench/*.ts) in a child process and
// returns what it printed; a script that hangs is stopped after `timeoutMs`.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export function runScript(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** The JSON lines a script printed (its figures), skipping everything else. */
export function jsonLines<T>(out: string): T[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return [];
      }
    });
}
