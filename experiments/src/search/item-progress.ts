import { formatDuration } from '../runner/progress.js';

/** A one-line bar for embedding: items done, items/s, ETA (a plain line every 10 s without a terminal). */
export class ItemProgress {
  private readonly start = performance.now();
  private lastPrint = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stderr,
  ) {}

  update(done: number): void {
    const now = performance.now();
    const last = done >= this.total;
    if (!last && now - this.lastPrint < (this.out.isTTY ? 200 : 10_000)) return;
    this.lastPrint = now;
    const rate = done / Math.max(1e-9, (now - this.start) / 1000);
    const width = 24;
    const filled = Math.round((Math.min(done, this.total) / Math.max(1, this.total)) * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${this.total}  ${rate.toFixed(0)} items/s  ETA ${rate > 0 ? formatDuration((this.total - done) / rate) : '?'}`;
    this.out.write(this.out.isTTY ? `\r${line}\x1b[K${last ? '\n' : ''}` : `${line}\n`);
  }
}
