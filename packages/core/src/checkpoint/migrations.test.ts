import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateHeader, type HeaderMigration } from './migrations.js';

describe('migrateHeader', () => {
  it('has no migrations while v1 is the only format', () => {
    expect(Object.keys(MIGRATIONS)).toEqual([]);
    const h = { version: 1, tensors: [] };
    expect(migrateHeader(h, 'f')).toBe(h);
  });

  it('runs the chain one version at a time, up to the current version', () => {
    // A pretend world where the current format is 3: v1 called meta 'info', v2 lacked createdAt.
    const table: Record<number, HeaderMigration> = {
      1: ({ info, ...rest }) => ({ ...rest, meta: info }),
      2: (h) => ({ ...h, createdAt: 'unknown' }),
    };
    expect(migrateHeader({ version: 1, info: { step: 3 } }, 'f', table, 3)).toEqual({
      version: 3,
      meta: { step: 3 },
      createdAt: 'unknown',
    });
    expect(migrateHeader({ version: 2, meta: {} }, 'f', table, 3)).toEqual({ version: 3, meta: {}, createdAt: 'unknown' });
  });

  it('refuses a gap in the chain and a newer version, naming the file', () => {
    expect(() => migrateHeader({ version: 1 }, 'old.ckpt', {}, 2)).toThrow(
      /old\.ckpt: no migration from checkpoint format version 1 to 2/,
    );
    expect(() => migrateHeader({ version: 4 }, 'new.ckpt', {}, 3)).toThrow(
      /new\.ckpt: checkpoint format version 4 is newer than this modalab supports \(3\); upgrade modalab/,
    );
  });
});
