// The chat panel: world entry's chat address, the shared ChatClient, and one line per message.
// Everything a player wrote is put on the page as text (textContent), never as HTML. After a close
// it comes back by the shared close policy, like the zone connection.
import { afterClose, backoffMs, ChatClient, type ChatEvent, type ChatLine } from "@starlane/shared/client";

const MAX_LINES = 200;

export interface ChatElements {
  log: HTMLOListElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
  channel: HTMLSelectElement;
  state: HTMLElement;
}

/** What a line of input asks for: `/w name text`, `/party create|invite NAME|accept ID|leave|kick NAME`, `/mute NAME`, `/block NAME`, or text for the chosen channel. */
export type ChatCommand =
  | { kind: "say"; channel: "global" | "region" | "party"; text: string }
  | { kind: "whisper"; to: string; text: string }
  | {
      kind: "party";
      action: "create" | "invite" | "accept" | "leave" | "kick";
      arg?: { name?: string; party?: string };
    }
  | { kind: "moderate"; what: "mute" | "unmute" | "block" | "unblock"; name: string }
  | { kind: "help" };

export function parseCommand(line: string, channel: "global" | "region" | "party"): ChatCommand | null {
  const text = line.trim();
  if (text === "") return null;
  if (!text.startsWith("/")) return { kind: "say", channel, text };
  const [cmd = "", ...rest] = text.slice(1).split(/\s+/);
  const arg = rest[0] ?? "";
  switch (cmd.toLowerCase()) {
    case "w":
    case "whisper":
      return arg && rest.length > 1 ? { kind: "whisper", to: arg, text: rest.slice(1).join(" ") } : { kind: "help" };
    case "g":
      return rest.length ? { kind: "say", channel: "global", text: rest.join(" ") } : { kind: "help" };
    case "r":
      return rest.length ? { kind: "say", channel: "region", text: rest.join(" ") } : { kind: "help" };
    case "p":
      return rest.length ? { kind: "say", channel: "party", text: rest.join(" ") } : { kind: "help" };
    case "party": {
      const action = arg.toLowerCase();
      if (action === "create" || action === "leave") return { kind: "party", action };
      if ((action === "invite" || action === "kick") && rest[1])
        return { kind: "party", action, arg: { name: rest[1] } };
      if (action === "accept" && rest[1]) return { kind: "party", action, arg: { party: rest[1] } };
      return { kind: "help" };
    }
    case "mute":
    case "unmute":
    case "block":
    case "unblock":
      return arg ? { kind: "moderate", what: cmd.toLowerCase() as "mute", name: arg } : { kind: "help" };
    default:
      return { kind: "help" };
  }
}

const HELP =
  "/w NAME text · /g /r /p text (global, region, party) · /party create | invite NAME | accept ID | leave | kick NAME · /mute NAME · /block NAME";

export class ChatPanel {
  #client: ChatClient | null = null;
  #attempt = 0;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Ids already shown (a history sent again after a reconnect repeats them). */
  readonly #shown = new Set<string>();

  constructor(
    readonly el: ChatElements,
    readonly url: string,
    /** The current access token (the pilot refreshes it). */
    readonly token: () => string,
  ) {
    el.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit(el.input.value);
      el.input.value = "";
    });
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#client?.close();
  }

  #connect(): void {
    this.#state("connecting…");
    this.#client = new ChatClient(this.url, this.token(), {
      onMessage: (event) => this.#onMessage(event),
      onClose: (code) => this.#onClose(code),
    });
  }

  #onClose(code: number): void {
    if (this.#stopped) return;
    const policy = afterClose(code);
    if (policy.action === "stop") {
      this.#state(`chat closed: ${policy.message}`);
      return;
    }
    const wait = backoffMs(this.#attempt++, { baseMs: 500, capMs: 10_000, minDelayMs: policy.minDelayMs });
    this.#state(`chat reconnecting… (${policy.message})`);
    this.#timer = setTimeout(() => this.#connect(), wait);
  }

  #onMessage(event: ChatEvent): void {
    switch (event.t) {
      case "welcome":
        this.#attempt = 0;
        this.#state(event.region ? `chat · region ${event.region}` : "chat");
        break;
      case "history":
        for (const m of event.messages) this.#line(event.channel, m);
        break;
      case "message":
        this.#line(event.channel, event);
        break;
      case "whispered":
        this.#line(`whisper → ${event.to}`, event);
        break;
      case "region":
        this.#state(event.region ? `chat · region ${event.region}` : "chat");
        this.#system(event.region ? `region channel: ${event.region}` : "no region channel");
        break;
      case "party":
        this.#system(
          event.party
            ? `party ${event.party.id}: ${event.party.members.join(", ")} (leader ${event.party.leader})`
            : "not in a party",
        );
        break;
      case "partyInvite":
        this.#system(`${event.from} invites you to a party: /party accept ${event.party}`);
        break;
      case "error":
        this.#system(`${event.message} (${event.code})`, true);
        break;
      case "ok":
        break;
    }
  }

  #submit(line: string): void {
    const channel = this.el.channel.value as "global" | "region" | "party";
    const cmd = parseCommand(line, channel);
    const c = this.#client;
    if (!cmd) return;
    if (cmd.kind === "help") this.#system(HELP);
    else if (!c?.open) this.#system("chat is not connected", true);
    else if (cmd.kind === "say") c.say(cmd.channel, cmd.text);
    else if (cmd.kind === "whisper") c.whisper(cmd.to, cmd.text);
    else if (cmd.kind === "party") c.party(cmd.action, cmd.arg);
    else c.moderate(cmd.what, cmd.name);
  }

  #line(channel: string, m: ChatLine): void {
    if (this.#shown.has(m.id)) return;
    this.#shown.add(m.id);
    const li = document.createElement("li");
    const tag = document.createElement("span");
    tag.className = "chan";
    tag.textContent = `[${channel.split(":")[0]}] `;
    const who = document.createElement("b");
    who.textContent = `${m.from.name}: `;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = m.text; // text, never HTML
    li.append(tag, who, text);
    this.#append(li);
  }

  #system(text: string, error = false): void {
    const li = document.createElement("li");
    li.className = error ? "system error" : "system";
    li.textContent = text;
    this.#append(li);
  }

  #append(li: HTMLLIElement): void {
    const log = this.el.log;
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(li);
    while (log.children.length > MAX_LINES) log.firstElementChild?.remove();
    if (this.#shown.size > MAX_LINES * 4) this.#shown.clear();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  #state(text: string): void {
    this.el.state.textContent = text;
  }
}
