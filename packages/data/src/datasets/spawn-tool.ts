import { spawn } from 'node:child_process';

/** Debian package that provides each external tool the datasets call. */
const PACKAGE_OF: Record<string, string> = { 'espeak-ng': 'espeak-ng', ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg', sox: 'sox' };

export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
  constructor(readonly tool: string) {
    const pkg = PACKAGE_OF[tool] ?? tool;
    super(`'${tool}' was not found on PATH. Install it with: apt-get install ${pkg} (tools/setup.sh does this in CI)`);
  }
}

export interface SpawnToolOptions {
  /** Written to the tool's stdin, which is then closed. */
  input?: Uint8Array;
  /** Killed (SIGKILL) after this long; 60 s by default. */
  timeoutMs?: number;
  /** Killed when stdout grows past this; 256 MiB by default (a runaway tool must not exhaust memory). */
  maxOutputBytes?: number;
}

/**
 * Runs a command-line tool without a shell (arguments are passed as a list, never interpolated) and collects
 * its stdout as bytes (up to `maxOutputBytes`). A missing tool gives `ToolMissingError` with the apt-get line; a non-zero exit gives an
 * error with the command, the exit code and the end of stderr.
 */
export function spawnTool(tool: string, args: readonly string[], options: SpawnToolOptions = {}): Promise<{ stdout: Buffer; stderr: string }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxOutputBytes = options.maxOutputBytes ?? 256 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (e: Error | undefined, value?: { stdout: Buffer; stderr: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e !== undefined) reject(e);
      else if (value !== undefined) resolve(value);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`${tool} timed out after ${timeoutMs} ms: ${tool} ${args.join(' ')}`));
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ENOENT' ? new ToolMissingError(tool) : e));
    let outBytes = 0;
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxOutputBytes) {
        child.kill('SIGKILL');
        finish(new Error(`${tool} wrote more than ${maxOutputBytes} bytes to stdout: ${tool} ${args.join(' ')}`));
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // EPIPE when the tool exits before reading all of stdin: the exit code tells the real story.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) finish(undefined, { stdout: Buffer.concat(out), stderr });
      else finish(new Error(`${tool} exited with ${code ?? signal}: ${tool} ${args.join(' ')}\n${stderr.slice(-2000)}`));
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}
