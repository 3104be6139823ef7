/**
 * The feed encoder's thread: turns a tick's packed forecasts into the frame's
 * UTF-8 bytes and each forecast's byte range in it, and hands both back
 * (transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { FRAME_HEAD, FRAME_TAIL, type PackedForecasts, textsOfPacked } from './feedEncoding.ts';

export interface EncodeRequest {
  readonly id: number;
  readonly packed: PackedForecasts;
}

export interface EncodeReply {
  readonly id: number;
  readonly bytes: Uint8Array;
  /** Forecast i's text is bytes [starts[i], starts[i] + lengths[i]). */
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
}

const encoder = new TextEncoder();
parentPort?.on('message', (req: EncodeRequest) => {
  const texts = textsOfPacked(req.packed);
  const starts = new Int32Array(texts.length);
  const lengths = new Int32Array(texts.length);
  let size = FRAME_HEAD.length + FRAME_TAIL.length + Math.max(0, texts.length - 1);
  for (let i = 0; i < texts.length; i++) {
    lengths[i] = Buffer.byteLength(texts[i]);
    size += lengths[i];
  }
  const bytes = new Uint8Array(size);
  let at = encoder.encodeInto(FRAME_HEAD, bytes).written;
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) bytes[at++] = 0x2c; // ','
    starts[i] = at;
    at += encoder.encodeInto(texts[i], bytes.subarray(at)).written;
  }
  encoder.encodeInto(FRAME_TAIL, bytes.subarray(at));
  const reply: EncodeReply = { id: req.id, bytes, starts, lengths };
  parentPort?.postMessage(reply, [bytes.buffer, starts.buffer, lengths.buffer]);
});
parentPort?.postMessage('ready');
