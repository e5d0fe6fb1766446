// What a scenario decides for one bot: how it flies (one control sample per input) and which
// discrete things it tries (actions, chat). Scenarios see only what the bot itself sees.
import type { WorldConfig } from "@starlane/shared";

export interface ShipView {
  x: number;
  y: number;
  heading: number;
  cargo: number;
  alive: boolean;
}

export interface Entity {
  id: string;
  x: number;
  y: number;
}

export interface BotView {
  me: ShipView | undefined;
  asteroids(): Iterable<Entity>;
  stations(): Iterable<Entity>;
}

export interface Control {
  thrust: number;
  turn: number;
  fire: boolean;
}

export type Action = { kind: "mine"; target: string } | { kind: "sell" };

export interface Brain {
  control(view: BotView): Control;
  /** A discrete action to try now, if any (called about once a second). */
  action?(view: BotView): Action | null;
  /** True when the bot wants to send a chat message now (called about once a second). */
  chat?(): boolean;
}

export interface ScenarioContext {
  index: number;
  world: WorldConfig;
  random: () => number;
}

export interface Scenario {
  name: string;
  description: string;
  /** The region room a bot joins when the fleet bypasses world entry (direct zone mode). */
  directRoom(ctx: ScenarioContext): string;
  brain(ctx: ScenarioContext): Brain;
}
