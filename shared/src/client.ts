// The browser-safe part of @starlane/shared (`@starlane/shared/client`): the wire tables, what to do
// after each close code and the reconnect backoff, the region state as clients see it (read through
// `regionView`), the handoff-following input link and the world geometry. Nothing
// here may import Node-only code (the main entry pulls ioredis, pg and uWS); the client-demo bundle
// build fails if it does.
export {
  ChatClient,
  type ChatClientOptions,
  type ChatEvent,
  type ChatLine,
  type ChatParty,
  type ChatSender,
  type ChatSocket,
  type ChatSocketConstructor,
} from "./chat-client.js";
export { afterClose, backoffMs, CLOSE_POLICY, DEFAULT_BACKOFF, TransportCloseCode } from "./close-policy.js";
export * from "./handoff-client.js";
export {
  CHAT_GLOBAL,
  ChatClientMessage,
  ChatServerMessage,
  ClientMessage,
  CloseCode,
  type ErrorBody,
  ErrorCode,
  ServerMessage,
} from "./protocol.js";
export { type Body, collide, fly, flyAmong, type Motion, wrapAngle } from "./rules/flight.js";
export { TUNING } from "./rules/tuning.js";
export { type BodyView, type MapView, type RegionView, regionView, type ShipView } from "./state-view.js";
export {
  parseRegionRoomId,
  type Rect,
  type Region,
  regionBounds,
  regionHeight,
  regionOf,
  regionRoomId,
  regionWidth,
  type WorldConfig,
} from "./world.js";
