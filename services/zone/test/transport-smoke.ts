// Boots a real Colyseus 0.18 server on the uWebSockets.js transport with the given presence and
// driver, joins with the real SDK, and returns the first state the client receives.
import { type MatchMakerDriver, type Presence, Room, Server } from "@colyseus/core";
import { schema, t } from "@colyseus/schema";
import { Client } from "@colyseus/sdk";
import { ZoneTransport } from "../src/transport.js";

const Counter = schema({ ticks: t.uint32(), greeting: t.string() }, "SmokeState");
type CounterState = InstanceType<typeof Counter>;

class SmokeRoom extends Room<{ state: CounterState }> {
  override onCreate() {
    this.setState(new Counter({ ticks: 0, greeting: "hello from uWS" }));
    this.setFixedTimestep(() => {
      this.state.ticks++;
    }, 20);
  }
}

export async function transportSmoke(presence: Presence, driver: MatchMakerDriver) {
  const server = new Server({ transport: new ZoneTransport(), presence, driver, greet: false });
  server.define("smoke", SmokeRoom);
  await server.listen(0, "127.0.0.1");
  const port = (server.transport as ZoneTransport).port;
  try {
    const client = new Client(`http://127.0.0.1:${port}`);
    const room = await client.joinOrCreate<CounterState>("smoke");
    const state = await new Promise<{ greeting: string; ticks: number }>((resolve) => {
      room.onStateChange((s) => {
        if (s.ticks >= 2) resolve({ greeting: s.greeting, ticks: s.ticks });
      });
    });
    await room.leave();
    return state;
  } finally {
    await server.gracefullyShutdown(false);
  }
}
