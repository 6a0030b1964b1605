#!/usr/bin/env node
// The `mechlens` command. Runs the compiled CLI when the package is built (an npm install), else the
// TypeScript sources through tsx (a workspace checkout that has not run `pnpm build`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const built = join(here, '..', 'dist', 'bin.js');
if (existsSync(built)) {
  await import(built);
} else {
  const src = join(here, '..', 'src', 'bin.ts');
  const r = spawnSync(
    process.execPath,
    ['--conditions=mechlens-source', '--import', 'tsx', src, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}
