// Calling another region room, in this process or another one (Colyseus presence IPC), with a
// deadline either way: a remote call to a dead or slow zone must not hold a ship forever.
import { matchMaker } from "@colyseus/core";
import type { CallRoom, RemoteRoom } from "./custody.js";

export const callRoom: CallRoom = <M extends keyof RemoteRoom>(
  roomId: string,
  method: M,
  args: Parameters<RemoteRoom[M]>,
  ms: number,
) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  const call = matchMaker.remoteRoomCall<RemoteRoom>(roomId, method, args, ms) as Promise<
    Awaited<ReturnType<RemoteRoom[M]>>
  >;
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
};
