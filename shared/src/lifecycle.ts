// Start-up and shutdown for a service's main.ts: resources are registered as they are built and
// closed in reverse order; SIGINT/SIGTERM unwind them; a second signal forces the exit. A known
// start-up failure (bad config, unreachable store, port taken) prints one line, not a stack trace.
import type { Logger } from "pino";
import { ConfigError } from "./config.js";
import { ListenError } from "./http.js";
import { UnreachableError } from "./stores.js";

export class Lifecycle {
  #closers: { name: string; close: () => unknown }[] = [];
  #closing: Promise<void> | undefined;

  /** Registers something to close on shutdown; returns the value for chaining. */
  defer<T>(name: string, close: () => unknown, value?: T): T {
    this.#closers.push({ name, close });
    return value as T;
  }

  /** Closes everything in reverse order of registration. Errors are logged, not thrown. */
  close(log?: Logger): Promise<void> {
    this.#closing ??= (async () => {
      for (const { name, close } of this.#closers.reverse()) {
        try {
          await close();
          log?.debug({ resource: name }, "closed");
        } catch (err) {
          log?.warn({ err, resource: name }, "close failed");
        }
      }
    })();
    return this.#closing;
  }

  /** On SIGINT/SIGTERM: close, then exit 0. A second signal exits at once with 130. */
  exitOnSignals(log: Logger): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log.warn({ signal }, "second signal: forcing exit");
        process.exit(130);
      }
      signalled = true;
      log.info({ signal }, "shutting down");
      this.close(log).then(() => process.exit(0));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
}

const KNOWN = [ConfigError, ListenError, UnreachableError];

/**
 * Runs a service's main. A known start-up failure prints one line naming the problem and exits 1;
 * anything else is unexpected and keeps its stack.
 */
export function runMain(service: string, main: (life: Lifecycle) => Promise<void>): void {
  const life = new Lifecycle();
  main(life).catch(async (err: unknown) => {
    await life.close();
    if (KNOWN.some((k) => err instanceof k)) {
      process.stderr.write(`${service}: ${(err as Error).message}\n`);
    } else {
      process.stderr.write(`${service}: unexpected failure at start-up\n${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exit(1);
  });
}
