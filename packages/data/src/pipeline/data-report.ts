import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from '../decode/media-error.js';
import { DataError } from '../errors.js';
import type { BadItem, DatasetSource } from '../manifest/dataset-types.js';
import { parseOrThrow } from '../zod-issues.js';
import { DataPolicySchema, type DataPolicy, type DataPolicyInput } from './data-policy.js';

/** The content of `data-report.json`. */
export interface DataReportJson {
  version: 1;
  source: DatasetSource | undefined;
  policy: DataPolicy;
  counts: { seen: number; good: number; bad: number };
  /** Bad items per reason code and per modality (`none` for record-level problems). */
  byCode: Record<string, number>;
  byModality: Record<string, number>;
  /** Why the run stopped early, when it did. */
  aborted: string | undefined;
  /** Every bad item, once, in the order met. */
  bad: BadItem[];
}

/** Thrown under the `skip` policy when too many items are bad; the report is still complete up to there. */
export class DataAbortError extends DataError {}

/**
 * Collects good and bad items under a policy. Each bad item is recorded once, keyed by where it is
 * defined (file, line, id), so a loader that meets the same bad item every epoch reports it once.
 * `strict` throws the first bad item as a `MediaError` (file, line, code); `skip` throws
 * `DataAbortError` past the limits. `toJSON()` is the `data-report.json` content at any time.
 */
export class DataReport {
  readonly policy: DataPolicy;
  readonly source: DatasetSource | undefined;
  private readonly items: BadItem[] = [];
  private readonly keys = new Set<string>();
  private good = 0;
  private consecutive = 0;
  private abortReason: string | undefined;

  constructor(policy: DataPolicyInput, source?: DatasetSource) {
    this.policy = parseOrThrow(DataPolicySchema, policy, 'data policy');
    this.source = source;
  }

  static keyOf(item: Pick<BadItem, 'file' | 'line' | 'id'>): string {
    return `${item.file}\u0000${item.line ?? ''}\u0000${item.id ?? ''}`;
  }

  /** True when this item was already reported bad (a loader can skip it without decoding again). */
  isBad(item: Pick<BadItem, 'file' | 'line' | 'id'>): boolean {
    return this.keys.has(DataReport.keyOf(item));
  }

  get badCount(): number {
    return this.items.length;
  }
  get goodCount(): number {
    return this.good;
  }

  recordGood(): void {
    this.good++;
    this.consecutive = 0;
  }

  /** Records a bad item (once); returns false when it was already recorded. May throw per the policy. */
  recordBad(item: BadItem): boolean {
    const key = DataReport.keyOf(item);
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.items.push(item);
    this.consecutive++;
    const p = this.policy;
    if (p.mode === 'strict') {
      throw new MediaError(item.file, item.code, item.reason, {
        ...(item.line === undefined ? {} : { line: item.line }),
        ...(item.modality === undefined ? {} : { modality: item.modality }),
      });
    }
    if (this.consecutive > p.maxConsecutiveBad) {
      this.abort(`${this.consecutive} bad items in a row (limit ${p.maxConsecutiveBad}); the last: ${item.reason}`);
    }
    const seen = this.good + this.items.length;
    if (seen >= p.minItemsForFraction) this.checkFraction();
    return true;
  }

  /** Call once every item was seen: checks the bad fraction over the whole dataset. */
  finish(): DataReportJson {
    if (this.policy.mode === 'skip' && this.abortReason === undefined) this.checkFraction();
    return this.toJSON();
  }

  toJSON(): DataReportJson {
    const byCode: Record<string, number> = {};
    const byModality: Record<string, number> = {};
    for (const b of this.items) {
      byCode[b.code] = (byCode[b.code] ?? 0) + 1;
      const m = b.modality ?? 'none';
      byModality[m] = (byModality[m] ?? 0) + 1;
    }
    return {
      version: 1,
      source: this.source,
      policy: this.policy,
      counts: { seen: this.good + this.items.length, good: this.good, bad: this.items.length },
      byCode,
      byModality,
      aborted: this.abortReason,
      bad: [...this.items],
    };
  }

  /** Writes `data-report.json` into `dir` atomically (temp file, then rename); returns its path. */
  async write(dir: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'data-report.json');
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
    await rename(tmp, file);
    return file;
  }

  private checkFraction(): void {
    if (this.policy.mode !== 'skip') return;
    const seen = this.good + this.items.length;
    if (seen === 0) return;
    const fraction = this.items.length / seen;
    if (fraction > this.policy.maxBadFraction) {
      this.abort(`${this.items.length} of ${seen} items are bad (${(100 * fraction).toFixed(1)}%, limit ${(100 * this.policy.maxBadFraction).toFixed(1)}%)`);
    }
  }

  private abort(reason: string): never {
    this.abortReason = reason;
    throw new DataAbortError(this.source?.path ?? '(dataset)', `aborting: ${reason}. Every bad item is listed in data-report.json`);
  }
}
