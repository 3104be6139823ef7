/**
 * The feed encoder's thread: turns a tick's packed forecasts into the frame's
 * UTF-8 bytes and each forecast's byte range in it, and hands both back
 * (transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { encodeFrame, type FrameBytes, type PackedForecasts } from './feedEncoding.ts';
import { JsonBytes } from './jsonBytes.ts';

export interface EncodeRequest {
  readonly id: number;
  readonly packed: PackedForecasts;
}

export interface EncodeReply extends FrameBytes {
  readonly id: number;
}

const scratch = new JsonBytes(1 << 20);
parentPort?.on('message', (req: EncodeRequest) => {
  const frame = encodeFrame(req.packed, scratch);
  const reply: EncodeReply = { id: req.id, ...frame };
  parentPort?.postMessage(reply, [frame.bytes.buffer as ArrayBuffer, frame.starts.buffer as ArrayBuffer, frame.lengths.buffer as ArrayBuffer]);
});
parentPort?.postMessage('ready');
