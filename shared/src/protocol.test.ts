import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ClientMessage, CloseCode, ErrorCode, ServerMessage } from "./protocol.js";

const doc = readFileSync(new URL("../PROTOCOL.md", import.meta.url), "utf8");

test("every error code, close code and message type is documented in PROTOCOL.md", () => {
  for (const code of Object.keys(ErrorCode)) assert.ok(doc.includes(`\`${code}\``), `${code} undocumented`);
  for (const [name, value] of Object.entries(CloseCode)) {
    assert.ok(doc.includes(`| ${value} |`), `close code ${name} (${value}) undocumented`);
  }
  for (const t of [...Object.values(ClientMessage), ...Object.values(ServerMessage)]) {
    assert.ok(doc.includes(`\`${t}\``), `message type ${t} undocumented`);
  }
});

test("codes are unique and application close codes stay clear of Colyseus's 4000-4099", () => {
  const closes = Object.values(CloseCode);
  assert.equal(new Set(closes).size, closes.length);
  for (const c of closes) assert.ok(c < 4000 || c >= 4100, `close code ${c} collides with Colyseus's band`);
  const types = [...Object.values(ClientMessage), ...Object.values(ServerMessage)];
  assert.equal(new Set(types).size, types.length);
  for (const [code, spec] of Object.entries(ErrorCode)) {
    assert.match(code, /^STARLANE_ERR_[A-Z_]+$/);
    assert.ok(spec.status >= 400 && spec.status < 600, `${code} status`);
    assert.ok(spec.message.length > 0, `${code} message`);
  }
});
