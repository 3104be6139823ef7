import { timingSafeEqual } from 'node:crypto';
import type { Scope, ServerConfig } from '../config.ts';
import { HttpErrorCode } from '../errors.ts';

export interface Refusal {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly message: string;
}

/**
 * Checks a request's `Authorization: Bearer …` header for `scope`. With no
 * tokens configured (allowed only on a loopback host) everything is open.
 * Returns null when allowed, else the refusal to send.
 */
export function authorize(header: string | undefined, scope: Scope, tokens: ServerConfig['tokens']): Refusal | null {
  if (tokens.length === 0) return null;
  if (header === undefined || header === '') return { status: 401, code: HttpErrorCode.AUTH_MISSING, message: 'an Authorization: Bearer token is required' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (m === null) return { status: 401, code: HttpErrorCode.AUTH_INVALID, message: 'Authorization must be "Bearer <token>"' };
  const given = Buffer.from(m[1]);
  const match = tokens.find((t) => {
    const want = Buffer.from(t.token);
    return want.length === given.length && timingSafeEqual(want, given);
  });
  if (match === undefined) return { status: 401, code: HttpErrorCode.AUTH_INVALID, message: 'the token is not valid' };
  if (!match.scopes.includes(scope)) return { status: 403, code: HttpErrorCode.AUTH_SCOPE, message: `the token lacks the "${scope}" scope` };
  return null;
}
