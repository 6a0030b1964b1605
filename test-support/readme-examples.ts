/**
 * Test support shared by the packages' README tests: runs every ```ts block of a markdown file as a
 * module and checks that it prints something, so documented examples stay runnable.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Registers one test per ```ts block of `readmePath`; blocks run from `tmpDir` (removed afterwards) so
 * that bare package imports resolve from the package's test folder.
 *
 * @example
 * describeReadmeExamples(join(here, '..', 'README.md'), join(here, '.readme-tmp'), 2);
 */
export function describeReadmeExamples(readmePath: string, tmpDir: string, minBlocks: number): void {
  const readme = readFileSync(readmePath, 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  describe(`README examples (${readmePath.split(/[\\/]/).slice(-3).join('/')})`, () => {
    afterAll(() => rmSync(tmpDir, { recursive: true, force: true }));
    it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(minBlocks));
    blocks.forEach((code, i) => {
      it(`block ${i + 1} runs`, async () => {
        mkdirSync(tmpDir, { recursive: true });
        const file = join(tmpDir, `block${i}.ts`);
        mkdirSync(dirname(file), { recursive: true });
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
}
