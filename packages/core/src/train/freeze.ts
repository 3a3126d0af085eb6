import type { Module } from '../layers/module.js';

export type NamePattern = RegExp | ((name: string) => boolean);

function matcher(pattern: NamePattern): (name: string) => boolean {
  return pattern instanceof RegExp ? (n) => pattern.test(n) : pattern;
}

function setTrainable(module: Module, pattern: NamePattern, trainable: boolean, who: string): string[] {
  const test = matcher(pattern);
  const hit: string[] = [];
  for (const [name, v] of module.namedVariables()) {
    if (!test(name)) continue;
    v.trainable = trainable;
    hit.push(name);
  }
  if (hit.length === 0) throw new Error(`${who}: no parameter matches ${String(pattern)}; names look like ${[...module.namedVariables().keys()].slice(0, 3).join(', ')}`);
  return hit;
}

/**
 * Marks the parameters whose dotted name matches as not trainable and returns their names.
 * Optimizers and the Trainer take the trainable set when built: freeze before building them.
 */
export function freeze(module: Module, pattern: NamePattern): string[] {
  return setTrainable(module, pattern, false, 'freeze');
}

/** The inverse of freeze. */
export function unfreeze(module: Module, pattern: NamePattern): string[] {
  return setTrainable(module, pattern, true, 'unfreeze');
}

export interface LockTowerOptions {
  /** How many final transformer blocks stay trainable, with everything defined after them (the final norm); 0 locks the whole tower. */
  unlockedBlocks?: number;
}

/**
 * Locks a pretrained tower as in LiT (Zhai et al. 2022, "locked-image tuning"): every parameter
 * under `prefix.` is frozen except the last `unlockedBlocks` blocks (`prefix.blocks.<i>.`) and the
 * parameters defined after them, like open_clip's lock_image(unlocked_groups). Returns the frozen names.
 */
export function lockTower(module: Module, prefix: string, options: LockTowerOptions = {}): string[] {
  const k = options.unlockedBlocks ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new Error(`lockTower: unlockedBlocks must be an integer >= 0, got ${k}`);
  const names = [...module.namedVariables().keys()].filter((n) => n.startsWith(`${prefix}.`));
  if (names.length === 0) throw new Error(`lockTower: no parameter under '${prefix}.'; top-level parts: ${[...new Set([...module.namedVariables().keys()].map((n) => n.split('.')[0]))].join(', ')}`);
  const blockOf = (n: string): number | undefined => {
    const m = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.blocks\\.(\\d+)\\.`).exec(n);
    return m ? Number(m[1]) : undefined;
  };
  const blocks = names.map(blockOf).filter((i): i is number => i !== undefined);
  const depth = blocks.length === 0 ? 0 : Math.max(...blocks) + 1;
  if (k > depth) throw new Error(`lockTower: unlockedBlocks ${k} exceeds the ${depth} blocks under '${prefix}.'`);
  const lastBlockParam = names.reduce((last, n, i) => (blockOf(n) !== undefined ? i : last), -1);
  const locked = new Set(
    names.filter((n, i) => {
      if (k === 0) return true;
      const b = blockOf(n);
      if (b !== undefined) return b < depth - k;
      return i < lastBlockParam; // stem before the blocks stays locked; the final norm after them trains
    }),
  );
  if (locked.size === 0) return [];
  return freeze(module, (n) => locked.has(n));
}
