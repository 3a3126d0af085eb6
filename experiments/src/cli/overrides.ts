import { UsageError } from '../registry.js';

/**
 * Applies "--set path.to.key=value" to a config object (a deep copy is returned). The value
 * is parsed as JSON when it parses (numbers, booleans, arrays), otherwise taken as a string.
 */
export function applyOverrides<T extends Record<string, unknown>>(config: T, sets: readonly string[]): T {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects path.to.key=value, got '${set}'`);
    const keyPath = set.slice(0, eq).split('.');
    const raw = set.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node = out;
    keyPath.slice(0, -1).forEach((k, i) => {
      const next = node[k];
      if (next === undefined) node[k] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new UsageError(`--set ${set}: '${keyPath.slice(0, i + 1).join('.')}' is not an object`);
      }
      node = node[k] as Record<string, unknown>;
    });
    node[keyPath[keyPath.length - 1]!] = value;
  }
  return out as T;
}
