import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { MediaError, type Modality } from './media-error.js';

export interface RunToolOptions {
  /** The media file, named in every error. */
  file: string;
  modality: Modality;
  /** Kill the tool after this long (a hostile file must not hang a run). */
  timeoutMs: number;
  /** stdout is written into a buffer of this size; more output kills the tool and fails (too-large). */
  maxStdoutBytes: number;
}

export interface ToolResult {
  exitCode: number | null;
  stdout: Uint8Array;
  /** The last 4 KB of stderr. */
  stderr: string;
}

/**
 * Runs a system tool (ffmpeg, ffprobe) without a shell, streaming its stdout into one preallocated
 * buffer. A missing tool is a `tool-missing` MediaError that says how to install it.
 */
export function runTool(tool: string, args: readonly string[], options: RunToolOptions): Promise<ToolResult> {
  const { file, modality } = options;
  return new Promise((resolvePromise, reject) => {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    } catch (cause) {
      reject(missingTool(tool, file, modality, cause));
      return;
    }
    const out = new Uint8Array(options.maxStdoutBytes);
    let length = 0;
    let stderr = '';
    let failure: MediaError | undefined;
    const stop = (error: MediaError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new MediaError(file, 'corrupt', `${tool} did not finish within ${options.timeoutMs} ms`, { modality })), options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return;
      if (length + chunk.length > out.length) {
        stop(new MediaError(file, 'too-large', `${tool} produced more than the expected ${out.length} bytes`, { modality }));
        return;
      }
      out.set(chunk, length);
      length += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
    });
    child.on('error', (cause: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(cause.code === 'ENOENT' ? missingTool(tool, file, modality, cause) : new MediaError(file, 'io-error', `cannot run ${tool}: ${cause.message}`, { modality, cause }));
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      if (failure !== undefined) reject(failure);
      else resolvePromise({ exitCode, stdout: out.subarray(0, length), stderr });
    });
  });
}

function missingTool(tool: string, file: string, modality: Modality, cause: unknown): MediaError {
  return new MediaError(
    file,
    'tool-missing',
    `${tool} was not found: ${modality} decoding uses the system ffmpeg; install it with \`sudo apt-get install ffmpeg\` (Debian/Ubuntu) or \`brew install ffmpeg\` (macOS), or pass its path`,
    { modality, cause },
  );
}

/** The last meaningful line ffmpeg printed, for an error message. */
export function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1) ?? '(no message)';
}
