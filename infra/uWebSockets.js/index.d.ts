// Types come from uws-pack; the additions below exist in the native module but are missing there.
import type { us_listen_socket } from "uws-pack";

export * from "uws-pack";

/** Listen option: fail instead of sharing the port with another process (SO_REUSEPORT). */
export declare const LIBUS_LISTEN_EXCLUSIVE_PORT: 1;

declare module "uws-pack" {
  interface TemplatedApp {
    /** Listens to hostname & port with listen options (e.g. LIBUS_LISTEN_EXCLUSIVE_PORT). */
    listen(
      host: RecognizedString,
      port: number,
      options: number,
      cb: (listenSocket: us_listen_socket | false) => void | Promise<void>,
    ): TemplatedApp;
  }
}
