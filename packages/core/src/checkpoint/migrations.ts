import { CHECKPOINT_VERSION, CheckpointError } from './format.js';

/**
 * Rewrites a parsed header of version `from` into version `from + 1`. It receives plain JSON
 * and returns plain JSON; the result is validated against the current schema only after the
 * whole chain has run, so a migration never has to produce a fully valid header on its own.
 */
export type HeaderMigration = (header: Record<string, unknown>) => Record<string, unknown>;

/**
 * Keyed by the version a migration upgrades *from*. Adding format version N+1 means:
 * bump CHECKPOINT_VERSION and add one entry `N: (h) => ...` here. Empty while only v1 exists.
 */
export const MIGRATIONS: Readonly<Record<number, HeaderMigration>> = {};

/**
 * Brings a parsed header up to CHECKPOINT_VERSION, or refuses with the reason.
 * `migrations` and `current` are parameters so the chain can be tested before a v2 exists.
 */
export function migrateHeader(
  header: Record<string, unknown>,
  source: string,
  migrations: Readonly<Record<number, HeaderMigration>> = MIGRATIONS,
  current: number = CHECKPOINT_VERSION,
): Record<string, unknown> {
  const version = header['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new CheckpointError(source, `header version must be a positive integer, got ${JSON.stringify(version)}`);
  }
  if (version > current) {
    throw new CheckpointError(
      source,
      `checkpoint format version ${version} is newer than this modalab supports (${current}); upgrade modalab`,
    );
  }
  let h = header;
  for (let v = version; v < current; v++) {
    const migrate = migrations[v];
    if (migrate === undefined) {
      throw new CheckpointError(source, `no migration from checkpoint format version ${v} to ${v + 1}`);
    }
    h = { ...migrate(h), version: v + 1 };
  }
  return h;
}
