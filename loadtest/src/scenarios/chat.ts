// `chat`: roaming bots that also say something on the global chat channel every ~10 s, through
// the chat service world entry names. Each message carries a tag unique in the run, so the summary's
// `chat` object counts deliveries, duplicates and gaps by message. A target whose world entry names
// no chat records every attempt as the error CHAT_UNAVAILABLE.
import { roam } from "./roam.js";
import type { Scenario } from "./types.js";

export const CHAT_UNAVAILABLE = "CHAT_UNAVAILABLE";

export const chat: Scenario = {
  name: "chat",
  description: "roam, and say something on global chat every ~10 s (deliveries counted per message)",
  directRoom: roam.directRoom,
  brain: (ctx) => {
    const inner = roam.brain(ctx);
    return { ...inner, chat: () => ctx.random() < 0.1 };
  },
};
