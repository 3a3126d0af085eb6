import { describe, expect, it } from 'vitest';
import { runTool, ToolFailedError, ToolMissingError } from './run-tool.js';

describe('runTool', () => {
  it('passes stdin and arguments without a shell and returns stdout as bytes', async () => {
    const { stdout } = await runTool('sox', ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-', '-t', 'raw', '-'], {
      input: new Uint8Array([1, 0, 2, 0]),
    });
    expect(Array.from(stdout)).toEqual([1, 0, 2, 0]);
    // A shell would expand this; runTool hands it to the tool verbatim (and sox fails to open it).
    await expect(runTool('sox', ['$(echo nope).wav', '-n'])).rejects.toThrow(/sox exited with 2: sox \$\(echo nope\)\.wav -n/);
  });

  it('with check: false, returns a non-zero exit code and the end of stderr instead of rejecting', async () => {
    const result = await runTool('sox', ['$(echo nope).wav', '-n'], { check: false });
    expect(result.exitCode).toBe(2);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(/\$\(echo nope\)\.wav/);
  });

  it('names the apt package when a tool is missing', async () => {
    const err = await runTool('ffprobe-not-installed', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect(String(err)).toMatch(/'ffprobe-not-installed' was not found on PATH\. Install it with: apt-get install ffprobe-not-installed/);
    expect(String(await runTool('/nonexistent/ffprobe', []).catch((e: unknown) => e))).toMatch(/apt-get install ffmpeg/);
  });

  it('kills a tool that runs past its timeout or writes too much', async () => {
    // -re: read the silent source in real time, so this would run for 100 s.
    const slow = ['-nostdin', '-re', '-f', 'lavfi', '-i', 'anullsrc', '-t', '100', '-f', 'null', '-'];
    await expect(runTool('ffmpeg', slow, { timeoutMs: 300 })).rejects.toThrow(/ffmpeg timed out after 300 ms/);
    const loud = await runTool('sox', ['-n', '-t', 'raw', '-', 'synth', '100'], { maxStdoutBytes: 1 << 16 }).catch((e: unknown) => e);
    expect(loud).toBeInstanceOf(ToolFailedError);
    expect((loud as ToolFailedError).kind).toBe('too-large');
    expect(String(loud)).toMatch(/sox wrote more than 65536 bytes to stdout/);
  });
});
