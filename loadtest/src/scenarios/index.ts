import { border } from "./border.js";
import { chat } from "./chat.js";
import { crowd } from "./crowd.js";
import { roam } from "./roam.js";
import type { Scenario } from "./types.js";

export const SCENARIOS: Record<string, Scenario> = { roam, crowd, border, chat };
export { CHAT_UNAVAILABLE } from "./chat.js";
export { crowdIn } from "./crowd.js";
export type * from "./types.js";
export { border, chat, crowd, roam };
