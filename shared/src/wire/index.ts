// The zone state frames: the format (both sides), the decoder (clients). shared/PROTOCOL.md,
// "Zone state frames".
export { BitReader, BitWriter, WireError } from "./bits.js";
export { RegionDecoder, snapshotWorld } from "./decoder.js";
export {
  changed,
  dragFixed,
  EntityKind,
  MAX_FRAME_BYTES,
  predict,
  qHeading,
  qPos,
  qVel,
  turnSteps,
  WIRE_MESSAGE,
  WIRE_VERSION,
  type WireAsteroid,
  type WireEntity,
  type WireShip,
  type WireShot,
  type WireStation,
  writeDelta,
  writeFull,
} from "./format.js";
export {
  ByteReader,
  ByteWriter,
  type Header,
  type PrivatePart,
  peekFrame,
  privateChanged,
  readHeader,
  writeHeader,
} from "./frame.js";
