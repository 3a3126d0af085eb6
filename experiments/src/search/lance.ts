import * as path from 'node:path';

type LanceModule = typeof import('@lancedb/lancedb');
let loaded: Promise<LanceModule> | undefined;

/**
 * @lancedb/lancedb, imported on first use: its native addon is 160 MB and only the search
 * commands need it. Lance logs warnings (a new table, deprecations) straight to stderr from
 * Rust; LANCEDB_LOG=error keeps CLI output clean unless the user asked for more.
 */
export function lancedb(): Promise<LanceModule> {
  process.env['LANCEDB_LOG'] ??= 'error';
  return (loaded ??= import('@lancedb/lancedb'));
}

/** True for an object-store URI LanceDB opens itself (s3://, gs://, az://, memory://...); false for a local folder. */
export function isObjectStoreUri(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://');
}

/**
 * The index location as LanceDB gets it: object-store URIs unchanged (credentials come from the
 * environment, e.g. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT), local
 * folders made absolute so the index records where it lives.
 */
export function resolveLocation(location: string): string {
  if (location.trim() === '') throw new Error('The index location is empty: pass a folder or an object-store URI (s3://bucket/prefix)');
  if (isObjectStoreUri(location)) return location.replace(/\/+$/, '');
  return path.resolve(location.startsWith('file://') ? new URL(location).pathname : location);
}

/** A SQL string literal for a LanceDB filter: single quotes doubled. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
