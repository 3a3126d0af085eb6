#!/usr/bin/env -S npx tsx --conditions=source
import { initBackend } from '@modalab/core';
import { checkDataset } from '@modalab/data';
import { parseArgs } from 'node:util';
import { applyOverrides } from './cli/overrides.js';
import { compareRuns, formatComparison, writeComparisonHtml } from './commands/compare.js';
import { evalRun } from './commands/eval-run.js';
import { rebuildReport } from './commands/report.js';
import { INDEX_USAGE, indexCommand } from './commands/index-cmd.js';
import { SEARCH_USAGE, searchCommand } from './commands/search-cmd.js';
import { SERVE_USAGE, serveCommand } from './commands/serve-cmd.js';
import { DEFAULT_SWEEP_METRICS, formatSweep, loadPlan, newSweepDir, planSweep, runSweep, savePlan, summarizeSweep, type SweepPlan, writeSweepOutputs } from './commands/sweep.js';
import { formatResults } from './runner/evaluate.js';
import { SWEEPS } from '../defs/sweeps.js';
import { EXPERIMENTS, getExperiment, getSweepPreset, UsageError } from './registry.js';

const USAGE = `usage: pnpm exp <command> [options]

commands:
  list                                   experiments with one-line descriptions
  run <name> [--seed N] [--set k=v]...   train and evaluate an experiment
         [--resume <runDir>] [--stop-after N] [--out <runsDir>] [--backend NAME]
  eval --run <runDir> --data <manifest.jsonl|.csv|folder|builtin:emoji[/STYLE]> [--json] [--policy strict|skip]
                                         evaluate a finished run on your data or a built-in set
  data check <manifest|folder> [--json]  validate a dataset without training (exit 1 if bad items)
  sweep <name> --grid k=v1,v2 [--grid ...] [--seeds N] [--set k=v]... [--metrics a,b] [--out <dir>]
         [--resume <sweepDir>] [--max-runs N]
                                         run a grid x seeds; sweep.csv/.arrow/.html with
                                         mean, std, 95% CI and a paired test vs the first cell
  report <runDir>                        rebuild a finished run's report.html
  compare <runDir>... [--html <file>] [--keys <regex>]
                                         summaries side by side
${INDEX_USAGE}
${SEARCH_USAGE}
${SERVE_USAGE}

backends: tensorflow-gpu, tensorflow, wasm, cpu (default: the fastest that loads; also MODALAB_BACKEND)
exit codes: 0 ok, 1 failed, 2 usage error`;

const log = (line: string) => process.stderr.write(line + '\n');

async function sweepCommand(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      grid: { type: 'string', multiple: true, default: [] },
      seeds: { type: 'string', default: '1' },
      set: { type: 'string', multiple: true, default: [] },
      metrics: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      'max-runs': { type: 'string' },
      backend: { type: 'string' },
    },
  });
  const maxRuns = values['max-runs'] === undefined ? undefined : Number(values['max-runs']);
  if (maxRuns !== undefined && (!Number.isInteger(maxRuns) || maxRuns < 0)) throw new UsageError(`--max-runs must be a non-negative integer, got '${values['max-runs']}'`);
  let dir: string;
  let plan: SweepPlan;
  if (values.resume !== undefined) {
    if (values.grid.length > 0 || values.set.length > 0) throw new UsageError('--resume continues a sweep with its saved plan; --grid and --set cannot change it');
    dir = values.resume;
    plan = loadPlan(dir);
  } else {
    if (positionals.length !== 1) throw new UsageError(`sweep takes one experiment name, got ${positionals.length}`);
    getExperiment(positionals[0]!);
    plan = planSweep(positionals[0]!, values.grid, Number(values.seeds), values.set, values.metrics?.split(',') ?? DEFAULT_SWEEP_METRICS);
    dir = newSweepDir(positionals[0]!, values.out);
    await savePlan(dir, plan);
  }
  const def = getExperiment(plan.experiment);
  await initBackend({ log, ...(values.backend === undefined ? {} : { backend: values.backend }) });
  log(`sweep ${dir}: ${plan.cells.length} cells x ${plan.seeds.length} seeds`);
  const done = await runSweep(dir, plan, def, { log, ...(maxRuns === undefined ? {} : { maxRuns }) });
  const total = plan.cells.length * plan.seeds.length;
  if (done.ran + done.skipped < total) {
    log(`sweep stopped after ${done.ran} runs (${done.skipped} already done); continue with: pnpm exp sweep --resume ${dir}`);
    return 0;
  }
  const rows = summarizeSweep(dir, plan);
  await writeSweepOutputs(dir, plan, rows);
  process.stdout.write(formatSweep(rows) + '\n');
  log(`sweep: ${done.ran} runs, ${done.skipped} reused; ${dir}/sweep.{csv,arrow,html}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given');
  if (command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  switch (command) {
    case 'list': {
      for (const [name, def] of Object.entries(EXPERIMENTS)) process.stdout.write(`${name.padEnd(16)} ${def.description}\n`);
      for (const [name, preset] of Object.entries(SWEEPS)) process.stdout.write(`${name.padEnd(16)} ${preset.description} (sweep of ${preset.base})\n`);
      return 0;
    }
    case 'run': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          seed: { type: 'string' },
          set: { type: 'string', multiple: true, default: [] },
          resume: { type: 'string' },
          'stop-after': { type: 'string' },
          out: { type: 'string' },
          backend: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) return (process.stdout.write(USAGE + '\n'), 0);
      if (positionals.length !== 1) throw new UsageError(`run takes one experiment name, got ${positionals.length}`);
      const name = positionals[0]!;
      const preset = getSweepPreset(name);
      if (preset !== undefined) {
        // A shipped sweep: the same as `exp sweep BASE --grid ... --seeds N`, with --set added.
        if (values.resume !== undefined) throw new UsageError(`${name} is a sweep: continue it with pnpm exp sweep --resume <sweepDir>`);
        return sweepCommand([preset.base, ...preset.grid.flatMap((g) => ['--grid', g]), '--seeds', String(preset.seeds), ...[...preset.sets, ...values.set].flatMap((x) => ['--set', x]), ...(preset.metrics ? ['--metrics', preset.metrics.join(',')] : []), ...(values.out === undefined ? [] : ['--out', values.out]), ...(values.backend === undefined ? [] : ['--backend', values.backend])]);
      }
      const def = getExperiment(name);
      if (values.resume !== undefined && (values.seed !== undefined || values.set.length > 0)) {
        throw new UsageError('--resume continues a run with its saved config; --seed and --set cannot change it');
      }
      let config = applyOverrides(def.config, values.set);
      if (values.seed !== undefined) {
        const seed = Number(values.seed);
        if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${values.seed}'`);
        config = { ...config, seed };
      }
      const stopAfter = values['stop-after'] === undefined ? undefined : Number(values['stop-after']);
      if (stopAfter !== undefined && (!Number.isInteger(stopAfter) || stopAfter <= 0)) {
        throw new UsageError(`--stop-after must be a positive integer, got '${values['stop-after']}'`);
      }
      await initBackend(values.backend === undefined ? {} : { backend: values.backend });
      const result = await def.run(name, config, {
        ...(values.out === undefined ? {} : { runsRoot: values.out }),
        ...(values.resume === undefined ? {} : { resume: values.resume }),
        ...(stopAfter === undefined ? {} : { stopAfter }),
      });
      log(result.finished ? `done: ${result.runDir}` : `stopped: ${result.runDir}`);
      return 0;
    }
    case 'eval': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { run: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean', default: false }, policy: { type: 'string', default: 'strict' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
      if (values.help) return (process.stdout.write(USAGE + '\n'), 0);
      if (positionals.length > 0) throw new UsageError(`eval takes no positional arguments, got '${positionals.join(' ')}'`);
      if (values.run === undefined || values.data === undefined) throw new UsageError('eval needs --run <runDir> and --data <manifest.jsonl>');
      await initBackend({ log, ...(values.backend === undefined ? {} : { backend: values.backend }) });
      if (values.policy !== 'strict' && values.policy !== 'skip') throw new UsageError(`--policy must be strict or skip, got '${values.policy}'`);
      const out = await evalRun(values.run, values.data, log, values.policy);
      if (values.json) process.stdout.write(JSON.stringify({ run: out.run, data: out.data, items: out.items, texts: out.texts, badItems: out.bad.length, metrics: out.metrics }) + '\n');
      else process.stdout.write(formatResults({ eval: out.results }) + '\n');
      return 0;
    }
    case 'sweep':
      return sweepCommand(rest);
    case 'data': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
      if (positionals[0] !== 'check' || positionals.length !== 2) throw new UsageError('usage: pnpm exp data check <manifest|folder> [--json]');
      const { check, text } = await checkDataset(positionals[1]!);
      process.stdout.write(values.json ? JSON.stringify(check) + '\n' : text + '\n');
      return check.bad.length > 0 ? 1 : 0;
    }
    case 'report': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new UsageError(`report takes one run directory, got ${positionals.length}`);
      log(`report: ${await rebuildReport(positionals[0]!)}`);
      return 0;
    }
    case 'compare': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { html: { type: 'string' }, keys: { type: 'string' } } });
      if (positionals.length < 1) throw new UsageError('compare takes one or more run directories');
      let pattern: RegExp | undefined;
      if (values.keys !== undefined) {
        try {
          pattern = new RegExp(values.keys);
        } catch (err) {
          throw new UsageError(`--keys is not a valid regular expression: ${(err as Error).message}`);
        }
      }
      const comparison = compareRuns(positionals, pattern);
      process.stdout.write(formatComparison(comparison) + '\n');
      if (values.html !== undefined) {
        await writeComparisonHtml(comparison, values.html);
        log(`html: ${values.html}`);
      }
      return 0;
    }
    case 'index':
      return indexCommand(rest, log);
    case 'search':
      return searchCommand(rest, log);
    case 'serve':
      return serveCommand(rest, log);
    default:
      throw new UsageError(`Unknown command '${command}'. Commands: list, run, eval, sweep, data, report, compare, index, search, serve (pnpm exp --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      log(`error: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.MODALAB_DEBUG) console.error(err);
    process.exit(1);
  },
);
