import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { TickForecasts } from '../engine/tickForecasts.ts';
import { startTsWorker } from '../util/tsWorker.ts';
import { KeySender } from '../engine/streamCodes.ts';
import { encodeFrame, FRAME_HEAD, FRAME_TAIL, type FrameBytes, packForecasts, printedKeys } from './feedEncoding.ts';
import { JsonBytes } from './jsonBytes.ts';
import type { EncodeReply, EncodeRequest } from './feedEncoderWorker.ts';

/** A tick's forecasts as feed frames: all of them, or those a client subscribes to. */
export interface EncodedFrame {
  all(): Buffer;
  /** The frame of the forecasts at `indexes` (ascending). */
  pick(indexes: readonly number[]): Buffer;
}

/** Prints a tick's forecasts as feed frames, here or on another thread. Its promises never reject. */
export interface FeedEncoder {
  encode(forecasts: TickForecasts): EncodedFrame | Promise<EncodedFrame>;
  close(): void;
}

/** On this thread, at once. */
export class InlineEncoder implements FeedEncoder {
  private readonly scratch = new JsonBytes();

  encode(forecasts: TickForecasts): EncodedFrame {
    return fromBytes(encodeFrame(packForecasts(forecasts), printedKeys, this.scratch));
  }

  close(): void {}
}

/**
 * On a thread of its own: at full load, printing forecasts as JSON was about
 * half of the main thread's time (~8 µs each with JSON.stringify, almost all
 * of it turning doubles into text; `encodeFrame` prints them from integers, at
 * the feed's precision, in about half that). The main thread packs each tick's
 * numbers into one Float64Array (transferred); the worker prints the frame's
 * UTF-8 bytes and hands them back with each forecast's range in them
 * (transferred), so frames for clients with narrower subscriptions are cut from
 * the same bytes. Until the worker is up, or once it has failed, frames are
 * printed here; a tick in flight when it fails is printed here too, so none is lost.
 */
export class ThreadEncoder implements FeedEncoder {
  private worker: Worker | null = null;
  private closed = false;
  private nextId = 0;
  private readonly pending = new Map<number, { forecasts: TickForecasts; resolve: (f: EncodedFrame) => void }>();
  private readonly inline = new InlineEncoder();
  /** The stream keys the thread has been sent. */
  private readonly keys = new KeySender();
  private inlineTicks = 0;
  /** Resolves true once the thread takes work, false if it could not start. */
  readonly ready: Promise<boolean>;

  constructor(private readonly log: Logger) {
    this.ready = startTsWorker(new URL('./feedEncoderWorker.ts', import.meta.url), null).then(
      (worker) => {
        if (this.closed) {
          void worker.terminate();
          return false;
        }
        worker.unref();
        worker.on('message', (reply: EncodeReply) => this.settle(reply));
        worker.on('error', (err) => this.fail(`failed: ${err.message}`));
        worker.on('exit', (code) => this.fail(`exited with code ${code}`));
        this.worker = worker;
        return true;
      },
      (err: unknown) => {
        this.log.warn({ err }, 'feed encoder thread could not start; feed frames are printed on the main thread');
        return false;
      },
    );
  }

  /** Ticks printed on the main thread: before the thread was up, or after it failed. */
  get printedInline(): number {
    return this.inlineTicks;
  }

  /** The encoder's thread while it runs (for diagnostics, or stopping it in a test). */
  get thread(): Worker | null {
    return this.worker;
  }

  encode(forecasts: TickForecasts): EncodedFrame | Promise<EncodedFrame> {
    const worker = this.worker;
    if (worker === null) return this.printHere(forecasts);
    const id = ++this.nextId;
    const packed = { ...packForecasts(forecasts), keys: this.keys.delta() };
    return new Promise((resolve) => {
      this.pending.set(id, { forecasts, resolve });
      worker.postMessage({ id, packed } satisfies EncodeRequest, [packed.codes.buffer as ArrayBuffer, packed.nums.buffer as ArrayBuffer, packed.points.buffer as ArrayBuffer]);
    });
  }

  close(): void {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) void worker.terminate();
    this.drainInline();
  }

  private settle(reply: EncodeReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    p.resolve(fromBytes(reply));
  }

  private fail(why: string): void {
    if (this.worker === null) return;
    this.worker = null;
    if (!this.closed) this.log.error({ reason: why, inFlight: this.pending.size }, 'feed encoder thread stopped; feed frames are printed on the main thread');
    this.drainInline();
  }

  private drainInline(): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve(this.printHere(p.forecasts));
    }
  }

  private printHere(forecasts: TickForecasts): EncodedFrame {
    this.inlineTicks++;
    return this.inline.encode(forecasts);
  }
}

const COMMA = Buffer.from(',');

function fromBytes(reply: FrameBytes): EncodedFrame {
  const frame = Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength);
  return {
    all: () => frame,
    pick: (indexes) => {
      const parts: Uint8Array[] = [FRAME_HEAD];
      indexes.forEach((i, n) => {
        if (n > 0) parts.push(COMMA);
        parts.push(frame.subarray(reply.starts[i], reply.starts[i] + reply.lengths[i]));
      });
      parts.push(FRAME_TAIL);
      return Buffer.concat(parts);
    },
  };
}
