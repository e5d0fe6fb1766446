// `chat`: messages through the chat service. There is no chat service yet (services/chat): not measurable.
import type { BenchGroup } from "./group.js";
import { notYet } from "./row.js";

const ROWS = [
  { name: "chat_deliveries_per_s", unit: "msgs/s" },
  { name: "chat_delivery_p99_ms", unit: "ms" },
];
const NOT_BUILT = "not measured: there is no chat service (services/chat is not built); the chat work will provide it";

export const chatGroup: BenchGroup = {
  name: "chat",
  description: "chat messages delivered per second and delivery latency across instances (no chat service yet)",
  rows: ROWS,
  run: async () => [
    notYet(ROWS[0]!, `${NOT_BUILT}: messages delivered to recipients per second, fanned out across chat instances`),
    notYet(ROWS[1]!, `${NOT_BUILT}: p99 from send to delivery at another player`),
  ],
};
