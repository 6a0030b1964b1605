#!/usr/bin/env node
// Builds the native addon with the system C++ compiler: no node-gyp, no download, no system library.
// Each native/*.cc becomes one object; files ending in _avx512.cc / _avx2.cc get those ISA flags and are
// only called after a run-time CPU check, so the binary runs on any x86-64 (or other) machine.
// If no compiler is found, or the build fails, this prints one warning and exits 0: @mechlens/core then
// runs on pure tfjs `cpu`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const nativeDir = join(pkg, 'native');
const objDir = join(pkg, 'build', 'obj');
const outDir = join(pkg, 'build', 'Release');
const outFile = join(outDir, 'mechlens_kernels.node');
const failFile = join(pkg, 'build', 'BUILD_FAILED');
const force = process.argv.includes('--force');
const verbose = process.argv.includes('--verbose') || process.env.MECHLENS_BUILD_VERBOSE === '1';

function warn(reason) {
  mkdirSync(join(pkg, 'build'), { recursive: true });
  writeFileSync(failFile, `${reason}\n`);
  console.warn(
    `[@mechlens/kernels] native kernels not built (${reason.split('\n')[0]}); mechlens will run on pure tfjs cpu (slow). ` +
      'Install a C++17 compiler (g++ or clang++) and run `pnpm --filter @mechlens/kernels build:native`.',
  );
  process.exit(0);
}

if (process.env.MECHLENS_SKIP_NATIVE === '1') warn('MECHLENS_SKIP_NATIVE=1');

function findHeaders() {
  const candidates = [];
  try {
    const require = createRequire(import.meta.url);
    const p = require.resolve('node-api-headers/package.json');
    candidates.push(join(dirname(p), 'include'));
  } catch {
    /* optional */
  }
  candidates.push(resolve(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node');
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

function findCompiler() {
  for (const cxx of [process.env.CXX, 'g++', 'clang++', 'c++'].filter(Boolean)) {
    const r = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cxx;
  }
  return undefined;
}

const headers = findHeaders();
if (!headers) warn('node_api.h not found');
const cxx = findCompiler();
if (!cxx) warn('no C++ compiler found');

const isX86 = process.arch === 'x64' || process.arch === 'ia32';
const baseFlags = [
  '-std=c++17',
  '-O3',
  '-fPIC',
  '-fvisibility=hidden',
  '-fno-math-errno',
  '-fno-trapping-math',
  '-pthread',
  '-Wall',
  '-Wno-unused-function',
  `-I${headers}`,
  `-I${nativeDir}`,
  '-DNAPI_VERSION=8',
  '-DNODE_GYP_MODULE_NAME=mechlens_kernels',
];
function isaFlags(file) {
  if (!isX86) return file.endsWith('_avx512.cc') || file.endsWith('_avx2.cc') ? null : [];
  if (file.endsWith('_avx512.cc'))
    return ['-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mavx2', '-mfma', '-mf16c'];
  if (file.endsWith('_avx2.cc')) return ['-mavx2', '-mfma', '-mf16c'];
  return [];
}

const sources = readdirSync(nativeDir).filter((f) => f.endsWith('.cc'));
const headerFiles = readdirSync(nativeDir).filter((f) => f.endsWith('.h'));
const newestHeader = Math.max(0, ...headerFiles.map((h) => statSync(join(nativeDir, h)).mtimeMs));
mkdirSync(objDir, { recursive: true });
mkdirSync(outDir, { recursive: true });

function run(cmd, args) {
  return new Promise((res) => {
    if (verbose) console.log([cmd, ...args].join(' '));
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('close', (code) => res({ code, err }));
    p.on('error', (e) => res({ code: -1, err: String(e) }));
  });
}

const jobs = [];
const objects = [];
for (const src of sources) {
  const flags = isaFlags(src);
  if (flags === null) continue; // ISA-specific file on a non-x86 machine
  const obj = join(objDir, src.replace(/\.cc$/, '.o'));
  objects.push(obj);
  const srcPath = join(nativeDir, src);
  const stale =
    force || !existsSync(obj) || statSync(obj).mtimeMs < Math.max(statSync(srcPath).mtimeMs, newestHeader);
  const tmp = `${obj}.${process.pid}.tmp`;
  if (stale) jobs.push({ src, obj, tmp, args: [...baseFlags, ...flags, '-c', srcPath, '-o', tmp] });
}

const parallel = Math.max(1, Math.min(cpus().length, 4));
let next = 0;
const failures = [];
async function worker() {
  while (next < jobs.length) {
    const job = jobs[next++];
    const r = await run(cxx, job.args);
    if (r.code !== 0) {
      failures.push(`${job.src}:\n${r.err}`);
      rmSync(job.tmp, { force: true });
    } else {
      if (r.err && verbose) process.stderr.write(r.err);
      renameSync(job.tmp, job.obj);
    }
  }
}
const t0 = Date.now();
await Promise.all(Array.from({ length: parallel }, worker));
if (failures.length) {
  console.error(failures.join('\n'));
  if (process.env.CI || process.argv.includes('--strict'))
    warn(`compile failed: ${failures.map((f) => f.split(':')[0]).join(', ')}`);
}
// Link every object that exists (a file that failed to compile keeps its previous object, if any).
const linkable = objects.filter((o) => existsSync(o));
const needLink = force || jobs.length > 0 || !existsSync(outFile);
if (needLink) {
  const tmpOut = `${outFile}.${process.pid}.tmp`;
  const r = await run(cxx, ['-shared', '-pthread', '-o', tmpOut, ...linkable]);
  if (r.code !== 0) {
    console.error(r.err);
    rmSync(tmpOut, { force: true });
    warn('link failed');
  }
  renameSync(tmpOut, outFile);
}
if (failures.length) {
  console.warn(
    `[@mechlens/kernels] some files failed to compile: ${failures.map((f) => f.split(':')[0]).join(', ')}`,
  );
  process.exit(0);
}
rmSync(failFile, { force: true });
console.log(
  `[@mechlens/kernels] native addon ready (${jobs.length}/${objects.length} objects compiled in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
);
