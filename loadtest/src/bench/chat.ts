// `chat`: messages delivered per second through two chat instances (separate processes on the real
// Redis and PostgreSQL) to 1,000 connected chatters, and the delivery p99
// (services/chat/bench/fanout.ts). The note gives the receivers' CPU share beside the servers':
// on a two-core machine the thin receivers in one process may be the limit, not chat.
import { type BenchGroup, rowOf } from "./group.js";
import { jsonLines, runScript } from "./script.js";

const ROWS = [
  { name: "chat_deliveries_per_s", unit: "msgs/s" },
  { name: "chat_delivery_p99_ms", unit: "ms" },
];

interface Fanout {
  chatters?: number;
  senders?: number;
  offeredMsgsPerS?: number;
  sentMsgsPerS?: number;
  deliveriesDue?: number;
  delivered?: number;
  deliveriesPerS?: number;
  deliveryP50Ms?: number | null;
  deliveryP99Ms?: number | null;
  receiversCpuShare?: number | null;
  serversCpuShare?: (number | null)[];
}

export const chatGroup: BenchGroup = {
  name: "chat",
  description: "chat messages delivered per second and delivery p99, 1,000 chatters over two chat instances",
  rows: ROWS,
  async run(ctx) {
    const chatters = ctx.quick ? 300 : 1000;
    // 60 messages/s on global to 1,000 chatters offers 60,000 deliveries/s: above the 50,000 target,
    // so the figure can show whether chat reaches it (at exactly 50,000 offered it never could).
    const senders = ctx.quick ? 20 : 60;
    ctx.log(`chat fan-out: ${chatters} chatters over two instances, ${senders} messages/s on global ...`);
    const out = await runScript(
      [
        "services/chat/bench/fanout.ts",
        "--chatters",
        String(chatters),
        "--senders",
        String(senders),
        "--rate",
        "1",
        "--seconds",
        ctx.quick ? "4" : "10",
      ],
      240_000,
    );
    const f = jsonLines<Fanout>(out).find((l) => l.deliveriesPerS !== undefined);
    if (!f) throw new Error(`services/chat/bench/fanout.ts gave no figure: ${out.slice(-800)}`);
    const cpu = `CPU share of one core: receivers (one process) ${f.receiversCpuShare}%, chat instances ${f.serversCpuShare?.map((s) => `${s}%`).join(" + ")}`;
    const offered = (f.offeredMsgsPerS ?? 0) * chatters;
    // The senders share the receivers' process: on a busy machine their timers run late, so say how
    // many messages went out and whether every chatter got every one.
    const sent = `${f.sentMsgsPerS} messages/s actually sent of ${f.offeredMsgsPerS} offered; ${f.delivered} of ${f.deliveriesDue} due deliveries made`;
    return [
      {
        ...rowOf(ROWS, "chat_deliveries_per_s"),
        value: f.deliveriesPerS ?? null,
        baseline: offered,
        note: `${chatters} thin receivers over two chat processes (real Redis pub/sub and PostgreSQL history), ${f.senders} of them saying one message/s on global; baseline: deliveries/s offered (messages/s x chatters). ${sent}. ${cpu}. Target >= 50,000/s with p99 <= 50 ms`,
      },
      {
        ...rowOf(ROWS, "chat_delivery_p99_ms"),
        value: f.deliveryP99Ms ?? null,
        baseline: f.deliveryP50Ms ?? null,
        note: `send to receipt at every chatter, same clock; baseline: p50. ${cpu}`,
      },
    ];
  },
};
