// Chat's metrics behind a small domain interface; prom-client does the exposition at /metrics.
import { Counter, Gauge, Histogram, type Registry } from "@starlane/shared";

export type Refusal =
  | "rate_limited"
  | "too_long"
  | "empty"
  | "unknown_channel"
  | "no_region"
  | "offline"
  | "whisper_refused"
  | "muted"
  | "party";
export type Closed = "unauthorized" | "too_large" | "malformed" | "flood" | "kicked" | "account";

export interface ChatMetrics {
  connected(delta: 1 | -1): void;
  received(kind: "channel" | "whisper"): void;
  delivered(n: number): void;
  /** From the sender's publish to this instance's delivery. */
  fanout(seconds: number): void;
  refused(reason: Refusal): void;
  closed(reason: Closed): void;
  upgradeRefused(code: string): void;
}

export function createChatMetrics(registry: Registry): ChatMetrics {
  const connections = new Gauge({
    name: "starlane_chat_connections",
    help: "Open chat connections on this instance.",
    registers: [registry],
  });
  const messagesIn = new Counter({
    name: "starlane_chat_messages_in_total",
    help: "Messages accepted from clients.",
    labelNames: ["kind"],
    registers: [registry],
  });
  const messagesOut = new Counter({
    name: "starlane_chat_messages_out_total",
    help: "Messages delivered to connections of this instance.",
    registers: [registry],
  });
  const fanout = new Histogram({
    name: "starlane_chat_fanout_seconds",
    help: "From the sender's instance publishing a message to this instance handing it to its connections.",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const refused = new Counter({
    name: "starlane_chat_refused_total",
    help: "Messages refused (rate-limited, too long, unknown channel, ...); the connection stays.",
    labelNames: ["reason"],
    registers: [registry],
  });
  const closed = new Counter({
    name: "starlane_chat_closed_total",
    help: "Connections the server closed, by reason.",
    labelNames: ["reason"],
    registers: [registry],
  });
  const upgrades = new Counter({
    name: "starlane_chat_upgrades_refused_total",
    help: "Connection attempts refused at the edge (origin, caps, token), by error code.",
    labelNames: ["code"],
    registers: [registry],
  });
  return {
    connected: (d) => connections.inc(d),
    received: (kind) => messagesIn.inc({ kind }),
    delivered: (n) => messagesOut.inc(n),
    fanout: (s) => fanout.observe(s),
    refused: (reason) => refused.inc({ reason }),
    closed: (reason) => closed.inc({ reason }),
    upgradeRefused: (code) => upgrades.inc({ code }),
  };
}
