// `chat`: roaming bots that also try to chat every ~10 s. Starlane has no chat service yet, so
// every attempt is recorded as the error CHAT_UNAVAILABLE rather than pretending to chat. When the
// chat service lands, this is where the bot connects to it.
import { roam } from "./roam.js";
import type { Scenario } from "./types.js";

export const CHAT_UNAVAILABLE = "CHAT_UNAVAILABLE";
export const CHAT_NOTE =
  "the target has no chat endpoint (the chat service is not built yet): every chat attempt counts as error CHAT_UNAVAILABLE";

export const chat: Scenario = {
  name: "chat",
  description: "roam, and chat every ~10 s (no chat endpoint yet: counted as CHAT_UNAVAILABLE)",
  directRoom: roam.directRoom,
  brain: (ctx) => {
    const inner = roam.brain(ctx);
    return { ...inner, chat: () => ctx.random() < 0.1 };
  },
};
