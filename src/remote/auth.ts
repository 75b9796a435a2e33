/** PURE: the token a request carries (`Bearer <token>`, or Basic with the token as password), compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokenOf(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return decoded || null;
  // git clients send user:password; some put a token in the user part with no password.
  return decoded.slice(colon + 1) || decoded.slice(0, colon) || null;
}

export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null || expected.length === 0) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
