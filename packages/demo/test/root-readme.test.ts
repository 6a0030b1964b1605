// Executes every ```ts block of README.md, so the documented examples stay runnable.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', '..', '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const tmp = join(here, '.root-readme-tmp');

describe('README examples', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(2));
  blocks.forEach((code, i) => {
    it(`block ${i + 1} runs`, async () => {
      mkdirSync(tmp, { recursive: true });
      const file = join(tmp, `block${i}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      const log = console.log;
      const lines: string[] = [];
      console.log = (...a: unknown[]) => lines.push(a.map(String).join(' '));
      try {
        await import(/* @vite-ignore */ file);
      } finally {
        console.log = log;
      }
      expect(lines.length).toBeGreaterThan(0);
    });
  });
});
