// What a line typed into the chat panel asks for.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommand } from "../src/chat.js";

test("chat lines: text goes to the chosen channel; slash commands whisper, pick a channel, run party and mute requests", () => {
  assert.equal(parseCommand("   ", "global"), null);
  assert.deepEqual(parseCommand("hello <b>you</b>", "region"), {
    kind: "say",
    channel: "region",
    text: "hello <b>you</b>",
  });
  assert.deepEqual(parseCommand("/w Ann see  you", "global"), { kind: "whisper", to: "Ann", text: "see you" });
  assert.deepEqual(parseCommand("/p on my way", "global"), { kind: "say", channel: "party", text: "on my way" });
  assert.deepEqual(parseCommand("/g hi", "party"), { kind: "say", channel: "global", text: "hi" });
  assert.deepEqual(parseCommand("/party create", "global"), { kind: "party", action: "create" });
  assert.deepEqual(parseCommand("/party invite Bob", "global"), {
    kind: "party",
    action: "invite",
    arg: { name: "Bob" },
  });
  assert.deepEqual(parseCommand("/party accept p-1", "global"), {
    kind: "party",
    action: "accept",
    arg: { party: "p-1" },
  });
  assert.deepEqual(parseCommand("/mute Eve", "global"), { kind: "moderate", what: "mute", name: "Eve" });
  for (const bad of ["/w Ann", "/party invite", "/party dance", "/nope", "/mute", "/r"])
    assert.deepEqual(parseCommand(bad, "global"), { kind: "help" }, bad);
});
