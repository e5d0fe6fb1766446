// Calling another region room, in this process or another one (Colyseus presence IPC), with a
// deadline either way: a remote call to a dead or slow zone must not hold a ship forever.
import { matchMaker } from "@colyseus/core";
import type { CallRoom, RemoteRoom } from "./custody.js";

export const callRoom: CallRoom = <M extends keyof RemoteRoom>(
  roomId: string,
  method: M,
  args: Parameters<RemoteRoom[M]>,
  ms: number,
) => callAnyRoom<Awaited<ReturnType<RemoteRoom[M]>>>(roomId, method, args, ms);

/** The same for any room method answering `T` (the trade desk's calls, trades.ts). */
export function callAnyRoom<T>(roomId: string, method: string, args: unknown[], ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  const call = matchMaker.remoteRoomCall(roomId, method as never, args, ms) as Promise<T>;
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}
