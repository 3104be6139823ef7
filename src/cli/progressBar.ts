/**
 * A progress reporter for long work, on stderr: a redrawn bar on a terminal,
 * a line every 10 % otherwise (logs, CI).
 */
export function progressBar(label: string, out: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  const started = Date.now();
  let lastDecile = -1;
  let lastDraw = 0;
  return (done, total) => {
    const frac = total === 0 ? 1 : done / total;
    const elapsed = (Date.now() - started) / 1000;
    const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : NaN;
    const text = `${label} [${'#'.repeat(Math.round(frac * 30)).padEnd(30, '.')}] ${(frac * 100).toFixed(1)}% ${done}/${total} ${elapsed.toFixed(1)}s${Number.isFinite(eta) ? ` eta ${eta.toFixed(1)}s` : ''}`;
    if (out.isTTY) {
      if (Date.now() - lastDraw < 100 && done < total) return;
      lastDraw = Date.now();
      out.write(`\r${text}`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      out.write(`${text}\n`);
    }
  };
}
