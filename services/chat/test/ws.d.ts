// The few parts of `ws` (the WebSocket client Node 20 lacks) the tests use; it ships no types.
declare module "ws" {
  import type { EventEmitter } from "node:events";
  import type { IncomingMessage } from "node:http";
  export default class WebSocket extends EventEmitter {
    static readonly OPEN: number;
    constructor(
      url: string,
      options?: {
        headers?: Record<string, string>;
        origin?: string;
        perMessageDeflate?: boolean;
        skipUTF8Validation?: boolean;
      },
    );
    readonly readyState: number;
    send(data: string | Buffer): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: "close", listener: (code: number, reason: Buffer) => void): this;
    on(event: "open", listener: () => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "unexpected-response", listener: (req: unknown, res: IncomingMessage) => void): this;
  }
}
