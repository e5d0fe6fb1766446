// Client requests on the chat socket: a frame is one JSON object of a known type with its fields
// typed (the protocol is in shared/PROTOCOL.md, "Chat"); anything else is malformed.
import { ChatClientMessage } from "@starlane/shared";

const PARTY_ACTIONS = new Set(["create", "invite", "accept", "leave", "kick"]);
/** Player names as the login service allows them. */
export const NAME = /^[A-Za-z0-9_]{3,20}$/;

/** A frame that is valid JSON of one of our requests, fields typed; null otherwise. */
export function parseRequest(raw: ArrayBuffer): Record<string, unknown> | null {
  let msg: unknown;
  try {
    msg = JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch {
    return null;
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return null;
  const m = msg as Record<string, unknown>;
  if (m.ref !== undefined && typeof m.ref !== "string" && typeof m.ref !== "number") return null;
  switch (m.t) {
    case ChatClientMessage.Say:
      return typeof m.channel === "string" && typeof m.text === "string" ? m : null;
    case ChatClientMessage.Whisper:
      return typeof m.to === "string" && typeof m.text === "string" ? m : null;
    case ChatClientMessage.Mute:
    case ChatClientMessage.Unmute:
    case ChatClientMessage.Block:
    case ChatClientMessage.Unblock:
      return typeof m.name === "string" ? m : null;
    case ChatClientMessage.Party:
      return typeof m.action === "string" &&
        PARTY_ACTIONS.has(m.action) &&
        (m.name === undefined || typeof m.name === "string") &&
        (m.party === undefined || typeof m.party === "string")
        ? m
        : null;
    default:
      return null;
  }
}
