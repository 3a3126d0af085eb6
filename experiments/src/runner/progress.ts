/** A one-line progress bar on stderr: step, loss, temperature or another scalar, samples/s and ETA. */
export class ProgressBar {
  private readonly tty: boolean;
  private lastPrint = 0;

  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  update(step: number, fields: { loss: number; temperature?: number; extra?: { label: string; value: number }; samplesPerSec: number }, force = false): void {
    const now = Date.now();
    // Without a terminal, print a plain line at most every 10 s so CI logs stay short.
    if (!this.tty && !force && now - this.lastPrint < 10_000) return;
    this.lastPrint = now;
    const frac = Math.min(1, step / this.total);
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const eta = fields.samplesPerSec > 0 ? formatDuration(((this.total - step) * this.samplesPerStep) / fields.samplesPerSec) : '?';
    const line =
      `[${bar}] step ${step}/${this.total}  loss ${fields.loss.toFixed(4)}  ` +
      (fields.temperature === undefined ? '' : `T ${fields.temperature.toFixed(4)}  `) +
      (fields.extra === undefined ? '' : `${fields.extra.label} ${fields.extra.value.toFixed(4)}  `) +
      `${fields.samplesPerSec.toFixed(1)} samples/s  ETA ${eta}`;
    this.out.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  samplesPerStep = 1;

  done(message: string): void {
    this.out.write(this.tty ? `\r${message}\x1b[K\n` : `${message}\n`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
