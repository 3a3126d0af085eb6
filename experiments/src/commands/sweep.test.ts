import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from '../testing/run-script.js';
import { TINY_OVERRIDES } from '../testing/tiny-config.js';
import { parseGrid, planSweep } from './sweep.js';


const exp = (args: string[]) => runScript('cli.ts', args, 300_000);

describe('sweep planning', () => {
  it('crosses grids in order and parses values as JSON where they parse', () => {
    expect(parseGrid('train.lr=0.001,2e-3')).toEqual({ key: 'train.lr', values: [0.001, 0.002] });
    expect(parseGrid('model.image.pool=mean,cls').values).toEqual(['mean', 'cls']);
    const plan = planSweep('quickstart', ['a=1,2', 'b=x,y'], 3);
    expect(plan.cells.map((c) => c.id)).toEqual(['a=1,b="x"', 'a=1,b="y"', 'a=2,b="x"', 'a=2,b="y"']);
    expect(plan.seeds).toEqual([0, 1, 2]);
    expect(() => planSweep('quickstart', [], 1)).toThrow(/at least one --grid/);
    expect(() => parseGrid('novalues=')).toThrow(/key=v1,v2/);
  });
});

describe('exp sweep (2 cells x 2 seeds, tiny)', () => {
  it('stops after --max-runs, resumes skipping finished runs, then writes the table with CIs', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-sweep-'));
    const sets = TINY_OVERRIDES.filter((s) => !s.startsWith('train.steps')).flatMap((s) => ['--set', s]);
    const first = exp(['sweep', 'quickstart', '--grid', 'train.steps=3,4', '--seeds', '2', ...sets, '--out', out, '--max-runs', '2']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/sweep stopped after 2 runs .* continue with: pnpm exp sweep --resume/);
    const sweepDir = path.join(out, fs.readdirSync(out).find((d) => d.startsWith('sweep-quickstart-'))!);
    expect(fs.existsSync(path.join(sweepDir, 'sweep.csv'))).toBe(false);

    const second = exp(['sweep', '--resume', sweepDir]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/sweep: 2 runs, 2 reused/);
    const csv = fs.readFileSync(path.join(sweepDir, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('cell,metric,n,mean,std,ci95Lower,ci95Upper,diffVsFirst,pValueVsFirst');
    const r10 = csv.filter((l) => l.includes('test/image->text/R@10'));
    expect(r10).toHaveLength(2);
    for (const line of r10) {
      const [, , n, mean, , lo, hi] = line.split(',');
      expect(Number(n)).toBe(2);
      expect(Number(lo)).toBeLessThanOrEqual(Number(mean));
      expect(Number(hi)).toBeGreaterThanOrEqual(Number(mean));
    }
    // The second cell carries a paired comparison against the first; the first does not.
    expect(r10[0]!.split(',')[7]).toBe('');
    expect(r10[1]!.split(',')[7]).not.toBe('');
    expect(fs.statSync(path.join(sweepDir, 'sweep.arrow')).size).toBeGreaterThan(100);
    expect(fs.readFileSync(path.join(sweepDir, 'sweep.html'), 'utf8')).toContain('Sweep of quickstart');
    expect(second.stdout).toMatch(/train\.steps=4\s+test\/image->text\/R@10\s+2/);
  });

  it('rejects usage errors with exit 2', () => {
    expect(exp(['sweep', 'quickstart']).code).toBe(2);
    expect(exp(['sweep', 'quickstart', '--grid', 'a=1', '--seeds', '0']).code).toBe(2);
  });
});
