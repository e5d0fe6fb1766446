// What a chat message's text may be. Control characters (newlines included: chat lines are single
// lines) and the bidirectional overrides that make a line read differently from what was typed
// are removed; everything else, markup included, is kept and sent as text. Clients render it as
// text (textContent), never as HTML.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const STRIP = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export type TextCheck =
  | { ok: true; text: string }
  | { ok: false; code: "STARLANE_ERR_CHAT_EMPTY" | "STARLANE_ERR_CHAT_TOO_LONG" };

export function cleanText(raw: string, maxChars: number): TextCheck {
  const text = raw.replace(STRIP, "").trim();
  if (text.length === 0) return { ok: false, code: "STARLANE_ERR_CHAT_EMPTY" };
  // Characters as a player counts them (code points), not UTF-16 units.
  let n = 0;
  for (const _ of text) if (++n > maxChars) return { ok: false, code: "STARLANE_ERR_CHAT_TOO_LONG" };
  return { ok: true, text };
}
