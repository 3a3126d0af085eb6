import { Module } from '../../layers/module.js';
import { lockTower } from '../../train/freeze.js';
import { GraphModelTower } from './graph-tower.js';
import { LayersModelTower } from './layers-tower.js';

/** Lets lockTower, which works under a prefix, see a bare encoder as `tower.*` (the variables are shared, not copied). */
class Scope extends Module {
  constructor(inner: Module) {
    super();
    this.child('tower', inner);
  }
}

/**
 * LiT-style locking (Zhai et al. 2022): leaves only the last `n` blocks of a tower trainable and
 * returns the names of the frozen parameters; n = 0 freezes it whole. For modalab encoders the
 * blocks are `blocks.<i>` (parameters after the last block, like the final norm, train with
 * them, as in open_clip's lock_image); for a LayersModelTower they are the layers with weights;
 * a GraphModelTower holds constants and can only be fully frozen. Freeze before building optimizers.
 */
export function lockExceptLast(tower: Module, n: number): string[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`lockExceptLast: n must be an integer >= 0, got ${n}`);
  if (tower instanceof LayersModelTower) return tower.lockExceptLast(n);
  if (tower instanceof GraphModelTower) {
    if (n > 0) throw new Error(`lockExceptLast: a GraphModelTower holds its weights as graph constants and cannot unlock ${n} blocks; load a layers model (tf.loadLayersModel) to fine-tune`);
    return [];
  }
  for (const v of tower.variables()) v.trainable = true;
  if (tower.variables().length === 0) return [];
  return lockTower(new Scope(tower), 'tower', { unlockedBlocks: n }).map((name) => name.slice('tower.'.length));
}
