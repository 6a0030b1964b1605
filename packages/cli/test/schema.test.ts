import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OptionError, parseOption, resolveOptions, type Schema, TRAIN_SAE_SCHEMA } from '../src/index.js';

const schema = [
  { key: 'tokens', flag: '--tokens <n>', kind: 'int', min: 1, help: '', default: 100 },
  { key: 'lr', flag: '--lr <x>', kind: 'number', above: 0, help: '' },
  {
    key: 'architecture',
    flag: '--architecture <name>',
    kind: 'string',
    choices: ['topk', 'gsae'],
    help: '',
    default: 'topk',
  },
  { key: 'resume', flag: '--resume', kind: 'boolean', help: '', default: false },
] as const satisfies Schema;

describe('option schema', () => {
  it('parses numbers with unit suffixes and validates bounds', () => {
    expect(parseOption(schema[0], '2M', 'command line')).toBe(2_000_000);
    expect(parseOption(schema[0], '500k', 'command line')).toBe(500_000);
    expect(parseOption(schema[0], '2_000', 'command line')).toBe(2000);
    expect(parseOption(schema[0], '2e3', 'command line')).toBe(2000);
    expect(() => parseOption(schema[0], '1.5', 'command line')).toThrow(
      /--tokens \(command line\): expected an integer/,
    );
    expect(() => parseOption(schema[0], '0', 'command line')).toThrow(/must be >= 1/);
    expect(() => parseOption(schema[1], '0', 'command line')).toThrow(/must be > 0/);
    expect(() => parseOption(schema[0], 'many', 'command line')).toThrow(/expected a number, got 'many'/);
    expect(() => parseOption(schema[2], 'topkk', 'command line')).toThrow(/did you mean 'topk'/);
  });

  it('merges command line > config file > defaults, validating the file with the same rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mechlens-cli-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ tokens: 5000, architecture: 'gsae', lr: 0.001 }));
    expect(resolveOptions(schema, { tokens: '7k' }, file)).toEqual({
      tokens: 7000,
      lr: 0.001,
      architecture: 'gsae',
      resume: false,
    });
    expect(resolveOptions(schema, {})).toEqual({
      tokens: 100,
      lr: undefined,
      architecture: 'topk',
      resume: false,
    });
    writeFileSync(file, JSON.stringify({ tokns: 5 }));
    expect(() => resolveOptions(schema, {}, file)).toThrow(/unknown option 'tokns'.*did you mean 'tokens'/);
    writeFileSync(file, JSON.stringify({ tokens: -5 }));
    expect(() => resolveOptions(schema, {}, file)).toThrow(OptionError);
    expect(() => resolveOptions(schema, {}, file)).toThrow(/'tokens'.*must be >= 1/);
    writeFileSync(file, '{ not json');
    expect(() => resolveOptions(schema, {}, file)).toThrow(/not valid JSON/);
    expect(() => resolveOptions(schema, {}, join(dir, 'missing.json'))).toThrow(/cannot read/);
  });

  it('train-sae --b-dec-init takes one of its choices, with a suggestion for a near miss', () => {
    const spec = TRAIN_SAE_SCHEMA.find((x) => x.key === 'bDecInit');
    if (!spec) throw new Error('no bDecInit option');
    expect(parseOption(spec, 'geometric-median', 'command line')).toBe('geometric-median');
    expect(() => parseOption(spec, 'geometric_median', 'command line')).toThrow(
      /did you mean 'geometric-median'/,
    );
  });

  it('the train-sae schema has one entry per key and every flag documented', () => {
    const keys = TRAIN_SAE_SCHEMA.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const s of TRAIN_SAE_SCHEMA) expect(s.help.length).toBeGreaterThan(5);
    for (const k of [
      'model',
      'hook',
      'architecture',
      'latents',
      'expansion',
      'k',
      'beta',
      'bDecInit',
      'tokens',
      'batch',
      'lr',
      'data',
      'out',
      'resume',
      'seed',
    ])
      expect(keys).toContain(k);
  });
});
