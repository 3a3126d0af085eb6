import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Debian package that provides each external tool the decoders and datasets call. */
const PACKAGE_OF: Record<string, string> = { 'espeak-ng': 'espeak-ng', ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg', sox: 'sox' };

/** The tool is not installed (or `tool` is not a path that can be run). */
export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
  constructor(
    readonly tool: string,
    options: { cause?: unknown } = {},
  ) {
    const pkg = PACKAGE_OF[basename(tool)] ?? tool;
    super(`'${tool}' was not found on PATH. Install it with: apt-get install ${pkg} (tools/setup.sh does this in CI)`, options);
  }
}

/** The tool ran but failed: past `timeoutMs`, past `maxStdoutBytes`, or (with `check`) a non-zero exit. */
export class ToolFailedError extends Error {
  override readonly name = 'ToolFailedError';
  constructor(
    readonly tool: string,
    readonly kind: 'timeout' | 'too-large' | 'exit',
    message: string,
  ) {
    super(message);
  }
}

export interface RunToolOptions {
  /** Written to the tool's stdin, which is then closed (at once, without input). */
  input?: Uint8Array;
  /** Killed (SIGKILL) after this long; 60 s by default (a hostile file must not hang a run). */
  timeoutMs?: number;
  /** Killed when stdout grows past this; 256 MiB by default (a runaway tool must not exhaust memory). */
  maxStdoutBytes?: number;
  /**
   * Reject a non-zero exit with the command, the exit code and the end of stderr (the default). The video
   * decoder passes false and reads `exitCode` itself, to tell a damaged file from a truncated one.
   */
  check?: boolean;
}

export interface ToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Its own ArrayBuffer (never Node's shared pool), so callers may view `stdout.buffer`. */
  stdout: Buffer;
  /** The last 4 KB of stderr. */
  stderr: string;
}

/**
 * Runs a command-line tool (ffmpeg, ffprobe, espeak-ng, sox) without a shell: arguments are passed as a
 * list, never interpolated. A missing tool is a `ToolMissingError` with the apt-get line; a timeout or
 * too much output kills the tool and is a `ToolFailedError` once it has exited.
 */
export function runTool(tool: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxStdoutBytes = options.maxStdoutBytes ?? 256 << 20;
  const command = `${tool} ${args.join(' ')}`;
  return new Promise((resolvePromise, reject) => {
    let child: ChildProcessByStdio<Writable, Readable, Readable>;
    try {
      child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    } catch (cause) {
      // spawn throws (rather than emitting 'error') for a tool path it cannot use at all, e.g. one with a NUL byte.
      reject(new ToolMissingError(tool, { cause }));
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    let stderr = '';
    let failure: ToolFailedError | undefined;
    const stop = (error: ToolFailedError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new ToolFailedError(tool, 'timeout', `${tool} timed out after ${timeoutMs} ms: ${command}`)), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return;
      if (length + chunk.length > maxStdoutBytes) {
        stop(new ToolFailedError(tool, 'too-large', `${tool} wrote more than ${maxStdoutBytes} bytes to stdout: ${command}`));
        return;
      }
      chunks.push(chunk);
      length += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
    });
    child.on('error', (cause: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(cause.code === 'ENOENT' ? new ToolMissingError(tool, { cause }) : cause);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (failure !== undefined) {
        reject(failure);
      } else if (exitCode !== 0 && options.check !== false) {
        reject(new ToolFailedError(tool, 'exit', `${tool} exited with ${exitCode ?? signal}: ${command}\n${stderr.slice(-2000)}`));
      } else {
        const stdout = Buffer.alloc(length);
        let at = 0;
        for (const chunk of chunks) {
          stdout.set(chunk, at);
          at += chunk.length;
        }
        resolvePromise({ exitCode, signal, stdout, stderr });
      }
    });
    // EPIPE when the tool exits before reading all of stdin: the exit code tells the real story.
    child.stdin.on('error', () => undefined);
    if (options.input === undefined) child.stdin.end();
    else child.stdin.end(options.input);
  });
}

/** The last meaningful line ffmpeg printed, for an error message. */
export function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1) ?? '(no message)';
}
