#!/usr/bin/env node
// Builds the native kernels (modalab_native.node) from binding.gyp at install time, against
// the system's Node headers and oneDNN. It never fails the install: when something is
// missing it prints one line saying what and how to get it, and modalab runs on wasm.
//
//   node native/build.mjs           build unless the addon is up to date
//   node native/build.mjs --force   rebuild
//
// node-gyp comes with npm; where it, make or Python is missing, the same sources and flags
// (read from binding.gyp) go straight to the C++ compiler.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, 'build');
const addonFile = path.join(buildDir, 'Release', 'modalab_native.node');
const stampFile = path.join(buildDir, 'stamp.json');
const logFile = path.join(buildDir, 'build.log');
const force = process.argv.includes('--force');

const say = (line) => console.log(`modalab native: ${line}`);
const skip = (why) => {
  say(`not built, modalab will use wasm kernels: ${why}`);
  process.exit(0);
};

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, ...options });
  return { ok: r.status === 0 && r.error === undefined, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}

/** binding.gyp is a Python literal: JSON once comments and trailing commas are gone. */
function readBinding() {
  const text = fs.readFileSync(path.join(here, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '').replace(/,(\s*[\]}])/g, '$1');
  return JSON.parse(text).targets[0];
}

function firstError(out) {
  const lines = out.split('\n');
  return (lines.find((l) => /error/i.test(l)) ?? lines.filter(Boolean).pop() ?? '').trim().slice(0, 240);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(path.dirname(process.execPath)), 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((c) => c !== undefined && c !== '' && fs.existsSync(c));
}

if (process.env.MODALAB_NATIVE === '0') skip('MODALAB_NATIVE=0');
if (process.platform !== 'linux') skip(`only Linux builds are set up (this is ${process.platform})`);

const cxx = process.env.CXX || 'c++';
if (!run(cxx, ['--version']).ok) skip(`no C++ compiler (${cxx}); on Debian/Ubuntu: apt-get install g++`);

const includeDirs = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)];
if (process.env.DNNL_ROOT) includeDirs.unshift(path.join(process.env.DNNL_ROOT, 'include'));
if (!includeDirs.some((d) => fs.existsSync(path.join(d, 'oneapi/dnnl/dnnl.h')))) skip('oneDNN headers not found (oneapi/dnnl/dnnl.h); on Debian/Ubuntu: apt-get install libdnnl-dev');

// The running Node's own headers: node-gyp would otherwise download them (fails offline).
const nodedir = process.env.npm_config_nodedir || path.dirname(path.dirname(process.execPath));
const nodeInclude = path.join(nodedir, 'include/node');
if (!fs.existsSync(path.join(nodeInclude, 'node_api.h'))) skip(`Node headers not found in ${nodeInclude}; set npm_config_nodedir to a Node install with include/node`);

const target = readBinding();
const hash = createHash('sha256');
for (const f of ['binding.gyp', 'build.mjs', ...target.sources, ...fs.readdirSync(path.join(here, 'src')).map((f) => `src/${f}`)]) hash.update(f).update(fs.readFileSync(path.join(here, f)));
const stamp = { abi: process.versions.modules, napi: process.versions.napi, sources: hash.digest('hex') };
if (!force && fs.existsSync(addonFile) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === JSON.stringify(stamp)) {
  say(`up to date (${path.relative(process.cwd(), addonFile)})`);
  process.exit(0);
}

fs.mkdirSync(buildDir, { recursive: true });
// node-gyp drives make and needs Python; without either the compiler is called directly.
const nodeGyp = run('make', ['--version']).ok && run('python3', ['--version']).ok ? findNodeGyp() : undefined;
let result;
if (nodeGyp !== undefined) {
  result = run(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: here, env: { ...process.env, npm_config_nodedir: nodedir } });
} else {
  fs.mkdirSync(path.dirname(addonFile), { recursive: true });
  const flags = [...target.cflags_cc, ...target.defines.map((d) => `-D${d}`), '-fPIC', '-shared', `-I${nodeInclude}`];
  result = run(cxx, [...flags, ...target.sources, '-o', addonFile, ...target.ldflags, ...target.libraries], { cwd: here });
}
fs.writeFileSync(logFile, result.out);
if (!result.ok) {
  fs.rmSync(addonFile, { force: true });
  skip(`the compile failed: ${result.error?.message ?? firstError(result.out)} (full log: ${path.relative(process.cwd(), logFile)})`);
}

// Load it once in a child: a missing runtime library (libdnnl.so.2) shows up here, not at first use.
const check = run(process.execPath, ['-e', `const i = require(${JSON.stringify(addonFile)}).info(); console.log(i.library + ' ' + i.version + ', ' + i.isa + ', ' + i.threads + ' threads')`]);
if (!check.ok) {
  fs.rmSync(addonFile, { force: true });
  skip(`built but does not load: ${firstError(check.out)}`);
}
fs.writeFileSync(stampFile, JSON.stringify(stamp));
say(`built ${path.relative(process.cwd(), addonFile)} (${check.out.trim()}${nodeGyp === undefined ? '; compiled without node-gyp' : ''})`);
