#!/usr/bin/env node
// House rules that the type checker cannot see: dependency direction between packages,
// no imports of another package's internals, and nothing that reads the steering folder.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rules = [
  { dir: 'packages/core/src', forbidden: /@modalab\/(data|eval|experiments)/, rule: 'core imports no other modalab package' },
  { dir: 'packages/data/src', forbidden: /@modalab\/(eval|experiments)/, rule: 'data may use core only' },
  { dir: 'packages/eval/src', forbidden: /@modalab\/(data|experiments)/, rule: 'eval uses core only' },
];
const everywhere = [
  { pattern: /from ['"]@modalab\/[a-z]+\/(src|dist)\//, rule: 'import a package through its index, not its files' },
  { pattern: /['"`][^'"`]*\.\.\/shared\//, rule: 'nothing may read ../shared: a user clone does not have it' },
];

function* walk(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'runs' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield p;
  }
}

const problems = [];
for (const { dir, forbidden, rule } of rules) {
  for (const file of walk(join(root, dir))) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/^\s*(import|export)\b.*from/.test(line) && forbidden.test(line)) problems.push(`${relative(root, file)}:${i + 1}: ${rule}`);
    });
  }
}
for (const dir of ['packages', 'experiments', 'notebooks', 'tools']) {
  for (const file of walk(join(root, dir))) {
    if (file.endsWith('tools/lint.mjs')) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      for (const { pattern, rule } of everywhere) if (pattern.test(line)) problems.push(`${relative(root, file)}:${i + 1}: ${rule}`);
    });
  }
}
for (const pkg of ['packages/core', 'packages/data', 'packages/eval']) {
  try {
    statSync(join(root, pkg, 'src/index.ts'));
  } catch {
    problems.push(`${pkg}: missing src/index.ts (each package has one public entry point)`);
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`lint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('lint: ok');
