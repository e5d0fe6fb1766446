import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  ChatClientMessage,
  ChatServerMessage,
  CLOSE_CODE_AREA,
  CLOSE_CODE_RANGES,
  ClientMessage,
  CloseCode,
  CODE_AREAS,
  ERROR_CODE_PREFIX,
  ErrorCode,
  ServerMessage,
} from "./protocol.js";

const doc = readFileSync(new URL("../PROTOCOL.md", import.meta.url), "utf8");

test("every error code, close code and message type is documented in PROTOCOL.md", () => {
  for (const code of Object.keys(ErrorCode)) assert.ok(doc.includes(`\`${code}\``), `${code} undocumented`);
  for (const [name, value] of Object.entries(CloseCode)) {
    assert.ok(doc.includes(`| ${value} |`), `close code ${name} (${value}) undocumented`);
  }
  for (const t of [
    ...Object.values(ClientMessage),
    ...Object.values(ServerMessage),
    ...Object.values(ChatClientMessage),
    ...Object.values(ChatServerMessage),
  ]) {
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

test("each close code lies in its area's range, and the ranges do not overlap", () => {
  const owner = new Map<number, string>();
  for (const area of CODE_AREAS)
    for (const [lo, hi] of CLOSE_CODE_RANGES[area]) {
      assert.ok(lo >= 4100 && hi <= 4999 && lo <= hi, `${area} range ${lo}-${hi}`);
      for (let c = lo; c <= hi; c++) {
        assert.ok(!owner.has(c), `${c} is in both ${owner.get(c)} and ${area}`);
        owner.set(c, area);
      }
    }
  for (const [name, code] of Object.entries(CloseCode)) {
    const area = CLOSE_CODE_AREA[code];
    if (area === "rfc") assert.ok(code < 4000, `${name} (${code}) is not an RFC code`);
    else assert.equal(owner.get(code), area, `${name} (${code}) is outside the ${area} range`);
  }
});

test("each error code names its area; newer areas' codes carry its prefix, closes stay in range", () => {
  for (const [code, spec] of Object.entries(ErrorCode)) {
    assert.ok((CODE_AREAS as readonly string[]).includes(spec.area), `${code} area ${spec.area}`);
    const prefix = ERROR_CODE_PREFIX[spec.area];
    if (prefix) assert.ok(code.startsWith(prefix), `${code} (area ${spec.area}) must start with ${prefix}`);
    if ("close" in spec && spec.close !== undefined) {
      const area: string = CLOSE_CODE_AREA[spec.close as CloseCode];
      assert.ok(area === spec.area || area === "connection", `${code} closes with ${spec.close} of area ${area}`);
    }
  }
});

test("PROTOCOL.md lists every area's close-code ranges", () => {
  for (const area of CODE_AREAS)
    for (const [lo, hi] of CLOSE_CODE_RANGES[area])
      assert.ok(doc.includes(`${lo}-${hi}`), `${area} range ${lo}-${hi} not in PROTOCOL.md`);
});
