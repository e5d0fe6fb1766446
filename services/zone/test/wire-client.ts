// A client of the mirror without a socket, for the wire tests: a Colyseus-shaped connection whose
// socket hands every frame the mirror sends to the shared decoder (and keeps the raw frames).
import assert from "node:assert/strict";
import { ClientState } from "@colyseus/core";
import { MAX_FRAME_BYTES, RegionDecoder } from "@starlane/shared";

export interface WireConn {
  id: string;
  decoder: RegionDecoder;
  client: never;
  frames: Uint8Array[];
  closed: number | null;
  /** What the socket reports as waiting in its send buffer. */
  buffered: number;
}

export function wireConn(id: string): WireConn {
  const c: WireConn = {
    id,
    decoder: new RegionDecoder(id),
    client: undefined as never,
    frames: [],
    closed: null,
    buffered: 0,
  };
  const deliver = (data: Uint8Array) => {
    assert.equal(data[0], 17, "a Colyseus bytes message");
    assert.equal(data[1], 0, "of the wire type");
    assert.ok(data.length - 2 <= MAX_FRAME_BYTES, "never over the frame cap");
    const frame = data.slice(2);
    c.frames.push(frame);
    c.decoder.apply(frame);
  };
  c.client = {
    sessionId: id,
    state: ClientState.JOINED,
    ref: { ws: { getBufferedAmount: () => c.buffered, send: (d: Uint8Array) => deliver(d) } },
    enqueueRaw: deliver,
    leave: (code: number) => {
      c.closed = code;
    },
  } as never;
  return c;
}
