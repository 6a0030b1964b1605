/**
 * One typed option schema per command: it generates the commander options (and so `--help`), parses
 * and validates command-line values, and validates a JSON config file with the same rules. Precedence:
 * command line > config file > defaults.
 */
import { readFileSync } from 'node:fs';
import { closeMatches } from '@mechlens/core';
import { type Command, Option } from 'commander';

/** The value types an option can have. */
export type OptionKind = 'int' | 'number' | 'string' | 'boolean';

type ValueOf<K extends OptionKind> = K extends 'int' | 'number'
  ? number
  : K extends 'boolean'
    ? boolean
    : string;

/**
 * One option: its config-file key (camelCase), flag, type, help text and rules.
 *
 * @example
 * const k: OptionSpec<'int'> = { key: 'k', flag: '--k <n>', kind: 'int', min: 1, help: 'latents per token', default: 32 };
 */
export interface OptionSpec<K extends OptionKind = OptionKind> {
  key: string;
  /** Commander flag, e.g. `--latents <n>` or `--resume`. */
  flag: string;
  kind: K;
  help: string;
  /** Allowed values (strings). */
  choices?: readonly string[];
  /** Inclusive lower bound (numbers). */
  min?: number;
  /** Exclusive lower bound (numbers). */
  above?: number;
  /** The default value; omit when it is computed later (then give `defaultHelp`). */
  default?: ValueOf<K>;
  /** How the default reads in `--help` when it is computed. */
  defaultHelp?: string;
}

/** A schema: the options of one command. */
export type Schema = readonly OptionSpec[];

/** Thrown for invalid option values (the CLI prints the message and exits with status 2). */
export class OptionError extends Error {}

/**
 * Parses and validates one value (a command-line string, or a JSON value from a config file).
 *
 * @example
 * parseOption({ key: 'k', flag: '--k <n>', kind: 'int', min: 1, help: '' }, '32', 'command line'); // 32
 */
export function parseOption(spec: OptionSpec, raw: unknown, where: string): string | number | boolean {
  const name = where === 'command line' ? spec.flag.split(' ')[0] : `'${spec.key}'`;
  const fail = (why: string): never => {
    throw new OptionError(`${name} (${where}): ${why}`);
  };
  switch (spec.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      return fail(`expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'int':
    case 'number': {
      let v: number;
      if (typeof raw === 'number') v = raw;
      else if (typeof raw === 'string' && raw.trim() !== '') {
        // allow 2_000_000, 2e6 and 2M / 500k for token counts
        const m = /^([0-9._]+(?:e[+-]?\d+)?)([kKmMgG]?)$/.exec(raw.trim());
        if (!m) return fail(`expected a number, got '${raw}'`);
        const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
        v = Number(m[1].replaceAll('_', '')) * scale;
      } else return fail(`expected a number, got ${JSON.stringify(raw)}`);
      if (!Number.isFinite(v)) return fail(`expected a finite number, got ${JSON.stringify(raw)}`);
      if (spec.kind === 'int' && !Number.isInteger(v)) return fail(`expected an integer, got ${v}`);
      if (spec.min !== undefined && v < spec.min) return fail(`must be >= ${spec.min}, got ${v}`);
      if (spec.above !== undefined && v <= spec.above) return fail(`must be > ${spec.above}, got ${v}`);
      return v;
    }
    default: {
      if (typeof raw !== 'string') return fail(`expected a string, got ${JSON.stringify(raw)}`);
      if (spec.choices && !spec.choices.includes(raw)) {
        const near = closeMatches(raw, spec.choices);
        return fail(
          `'${raw}' is not one of ${spec.choices.join(', ')}${near.length ? ` (did you mean '${near[0]}'?)` : ''}`,
        );
      }
      return raw;
    }
  }
}

/**
 * Adds the schema's options to a commander command (help text shows defaults and choices).
 *
 * @example
 * addSchemaOptions(new Command('train-sae'), TRAIN_SAE_SCHEMA);
 */
export function addSchemaOptions(cmd: Command, schema: Schema): Command {
  for (const spec of schema) {
    const bits = [spec.help];
    if (spec.default !== undefined && spec.kind !== 'boolean') bits.push(`(default: ${spec.default})`);
    else if (spec.defaultHelp) bits.push(`(default: ${spec.defaultHelp})`);
    const opt = new Option(spec.flag, bits.join(' '));
    if (spec.choices) opt.choices([...spec.choices]);
    // values are validated by parseOption after merging with the config file, so commander keeps strings
    cmd.addOption(opt);
  }
  return cmd;
}

/**
 * Merges command-line values (commander's parsed options, strings), an optional JSON config file and
 * the schema's defaults into one validated object. Unknown config keys are errors with suggestions.
 *
 * @example
 * const opts = resolveOptions(TRAIN_SAE_SCHEMA, cmd.opts(), 'train.json');
 */
export function resolveOptions(
  schema: Schema,
  cli: Record<string, unknown>,
  configPath?: string,
): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  let file: Record<string, unknown> = {};
  if (configPath) {
    let text: string;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (e) {
      throw new OptionError(`--config: cannot read '${configPath}' (${(e as Error).message})`);
    }
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new OptionError(`--config: '${configPath}' is not valid JSON (${(e as Error).message})`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file))
      throw new OptionError(`--config: '${configPath}' must hold a JSON object of option values`);
    const keys = schema.map((s) => s.key);
    for (const k of Object.keys(file)) {
      if (!keys.includes(k)) {
        const near = closeMatches(k, keys);
        throw new OptionError(
          `--config: unknown option '${k}' in '${configPath}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}; known: ${keys.join(', ')}`,
        );
      }
    }
  }
  for (const spec of schema) {
    if (cli[spec.key] !== undefined) out[spec.key] = parseOption(spec, cli[spec.key], 'command line');
    else if (file[spec.key] !== undefined)
      out[spec.key] = parseOption(spec, file[spec.key], configPath ?? 'config');
    else out[spec.key] = spec.default;
  }
  return out;
}

/**
 * The progress-bar setting of a `--progress auto|on|off` option (undefined: decide by the terminal).
 *
 * @example
 * progressFlag('auto'); // undefined
 */
export function progressFlag(v: 'auto' | 'on' | 'off'): boolean | undefined {
  return v === 'auto' ? undefined : v === 'on';
}
