import type { Writable } from 'node:stream';
import { eachReading, type Tick } from '../engine/stepTicks.ts';
import type { LineRejection } from './ndjsonSource.ts';

/**
 * Acknowledgements for line-numbered readings, one JSON line each:
 * `{"seq":N,"ok":true}` once the reading is committed, or
 * `{"seq":N,"code":"FC_ERR_…","message":"…"}` when it was refused.
 * Written only after the tick's transaction committed.
 */
export class AckWriter {
  constructor(private readonly out: Writable, private readonly seqOf: (reading: unknown) => number | undefined) {}

  committed(tick: Tick): void {
    let text = '';
    eachReading(tick, (reading, _, refused) => {
      const seq = this.seqOf(reading);
      if (seq === undefined) return;
      text += refused === null ? `{"seq":${seq},"ok":true}\n` : `${JSON.stringify({ seq, code: refused.code, message: refused.message })}\n`;
    });
    if (text !== '') this.out.write(text);
  }

  rejected(r: LineRejection): void {
    this.out.write(`${JSON.stringify(r)}\n`);
  }
}
