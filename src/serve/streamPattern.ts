/**
 * Which streams a subscriber asked for: exact keys, and glob patterns where
 * `*` matches any run of characters (slashes included) and `?` one character.
 */
export class StreamPatterns {
  private readonly exact = new Set<string>();
  private readonly globs = new Map<string, RegExp>();
  /** Cached until the patterns change: read once per client per tick. */
  private sig: string | null = null;

  add(pattern: string): void {
    if (!/[*?]/.test(pattern)) this.exact.add(pattern);
    else this.globs.set(pattern, globToRegExp(pattern));
    this.sig = null;
  }

  remove(pattern: string): void {
    this.exact.delete(pattern);
    this.globs.delete(pattern);
    this.sig = null;
  }

  /** The same string for the same set of patterns: clients that share it share each frame. */
  signature(): string {
    this.sig ??= [...this.exact, ...this.globs.keys()].sort().join('\n');
    return this.sig;
  }

  /** True when a `*` pattern is among them, so every key matches. */
  matchesAll(): boolean {
    return this.globs.has('*');
  }

  get size(): number {
    return this.exact.size + this.globs.size;
  }

  matches(key: string): boolean {
    if (this.exact.has(key)) return true;
    for (const re of this.globs.values()) if (re.test(key)) return true;
    return false;
  }
}

export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}
