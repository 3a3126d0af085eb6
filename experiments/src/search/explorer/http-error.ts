/** A request the explorer refuses: status and a message the page shows as is. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface QuerySpec {
  /** Allowed keys; anything else is a 400 naming the allowed ones. */
  keys: readonly string[];
}

/**
 * Parses a raw query string strictly: bad percent-encoding, a repeated key or an unknown key
 * is a 400 (URLSearchParams would silently keep the raw text or the last value).
 */
export function parseQuery(raw: string, spec: QuerySpec): Map<string, string> {
  const out = new Map<string, string>();
  if (raw === '') return out;
  if (raw.length > 4096) throw new HttpError(414, `query string is ${raw.length} characters; the limit is 4096`);
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw new HttpError(400, `malformed query string: '${part.slice(0, 80)}' is not valid percent-encoding`);
    }
    if (!spec.keys.includes(key)) throw new HttpError(400, `unknown query parameter '${key.slice(0, 40)}'; allowed: ${spec.keys.join(', ') || 'none'}`);
    if (out.has(key)) throw new HttpError(400, `query parameter '${key}' is given twice`);
    out.set(key, value);
  }
  return out;
}

export function intParam(query: Map<string, string>, key: string, fallback: number, min: number, max: number): number {
  const raw = query.get(key);
  if (raw === undefined) return fallback;
  if (!/^\d{1,7}$/.test(raw)) throw new HttpError(400, `${key} must be an integer in [${min}, ${max}], received '${raw.slice(0, 40)}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new HttpError(400, `${key} must be an integer in [${min}, ${max}], received ${n}`);
  return n;
}

export function enumParam<T extends string>(query: Map<string, string>, key: string, allowed: readonly T[]): T | undefined {
  const raw = query.get(key);
  if (raw === undefined || raw === '' || raw === 'all') return undefined;
  if (!allowed.includes(raw as T)) throw new HttpError(400, `${key} must be one of ${allowed.join(', ')}, received '${raw.slice(0, 40)}'`);
  return raw as T;
}
