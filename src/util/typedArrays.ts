/**
 * `a` when it holds index `index`, else a copy of it at least twice as long,
 * the new entries `fill`: for arrays indexed by a growing key (stream codes, rows).
 */
export function withRoomFor<T extends Int32Array | Float64Array>(a: T, index: number, fill = 0): T {
  if (index < a.length) return a;
  const grown = new (a.constructor as new (n: number) => T)(Math.max(index + 1, 2 * a.length));
  if (fill !== 0) grown.fill(fill);
  grown.set(a);
  return grown;
}
