import { describe, expect, it } from 'vitest';
import { spawnTool, ToolMissingError } from './spawn-tool.js';

describe('spawnTool', () => {
  it('passes stdin and arguments without a shell and returns stdout as bytes', async () => {
    const { stdout } = await spawnTool('sox', ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-', '-t', 'raw', '-'], {
      input: new Uint8Array([1, 0, 2, 0]),
    });
    expect(Array.from(stdout)).toEqual([1, 0, 2, 0]);
    // A shell would expand this; spawnTool hands it to the tool verbatim (and sox fails to open it).
    await expect(spawnTool('sox', ['$(echo nope).wav', '-n'])).rejects.toThrow(/sox exited with 2: sox \$\(echo nope\)\.wav -n/);
  });

  it('names the apt package when a tool is missing', async () => {
    const err = await spawnTool('ffprobe-not-installed', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect(String(err)).toMatch(/'ffprobe-not-installed' was not found on PATH\. Install it with: apt-get install ffprobe-not-installed/);
  });

  it('kills a tool that runs past its timeout or writes too much', async () => {
    // -re: read the silent source in real time, so this would run for 100 s.
    const slow = ['-nostdin', '-re', '-f', 'lavfi', '-i', 'anullsrc', '-t', '100', '-f', 'null', '-'];
    await expect(spawnTool('ffmpeg', slow, { timeoutMs: 300 })).rejects.toThrow(/ffmpeg timed out after 300 ms/);
    await expect(spawnTool('sox', ['-n', '-t', 'raw', '-', 'synth', '100'], { maxOutputBytes: 1 << 16 })).rejects.toThrow(
      /sox wrote more than 65536 bytes to stdout/,
    );
  });
});
