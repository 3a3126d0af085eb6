/**
 * A problem with input data (a manifest line, an image file, a cache file) that the user can fix.
 * The message always starts with the file, and the 1-based line when there is one, so it reads like a
 * compiler diagnostic: `data/train.jsonl:12: duplicate id 'cat-1' (first seen on line 3)`.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  readonly file: string;
  readonly line: number | undefined;
  readonly reason: string;

  constructor(file: string, reason: string, options: { line?: number; cause?: unknown } = {}) {
    const where = options.line === undefined ? file : `${file}:${options.line}`;
    super(`${where}: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = file;
    this.line = options.line;
    this.reason = reason;
  }
}
