/**
 * The feed encoder's thread: turns a tick's packed forecasts into the frame's
 * UTF-8 bytes and each forecast's byte range in it, and hands both back
 * (transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { KeyTable } from '../engine/streamCodes.ts';
import { encodeFrame, type FrameBytes, type PackedForecasts, PrintedKeys } from './feedEncoding.ts';
import { JsonBytes } from './jsonBytes.ts';

export interface EncodeRequest {
  readonly id: number;
  readonly packed: PackedForecasts;
}

export interface EncodeReply extends FrameBytes {
  readonly id: number;
}

const scratch = new JsonBytes(1 << 20);
/** The stream keys by code, as each request's delta tells them, and as printed. */
const keys = new KeyTable();
const printed = new PrintedKeys((code) => keys.keyOf(code));
parentPort?.on('message', (req: EncodeRequest) => {
  if (req.packed.keys !== undefined) keys.apply(req.packed.keys);
  const frame = encodeFrame(req.packed, printed, scratch);
  const reply: EncodeReply = { id: req.id, ...frame };
  parentPort?.postMessage(reply, [frame.bytes.buffer as ArrayBuffer, frame.starts.buffer as ArrayBuffer, frame.lengths.buffer as ArrayBuffer]);
});
parentPort?.postMessage('ready');
