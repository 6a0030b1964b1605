/**
 * Option specs shared by several commands (same flag, help and default everywhere).
 */
import { DEMO_CORPUS } from '@mechlens/sae';

/** `--model`: a checkpoint folder or hub id; the shipped demo model by default. */
export const MODEL_OPTION = {
  key: 'model',
  flag: '--model <dir|hub-id>',
  kind: 'string',
  help: 'checkpoint folder or Hugging Face id',
  defaultHelp: 'the shipped demo model',
} as const;

/** `--data`: a text file or the demo corpus. */
export const DATA_OPTION = {
  key: 'data',
  flag: '--data <path>',
  kind: 'string',
  help: `.txt, .jsonl or .parquet file, or ${DEMO_CORPUS}`,
  default: DEMO_CORPUS,
} as const;

/** `--text-field`: the text column of JSONL / Parquet data. */
export const TEXT_FIELD_OPTION = {
  key: 'textField',
  flag: '--text-field <name>',
  kind: 'string',
  help: 'text column of .jsonl/.parquet data',
  default: 'text',
} as const;

/** `--progress auto|on|off`. */
export const PROGRESS_OPTION = {
  key: 'progress',
  flag: '--progress <when>',
  kind: 'string',
  choices: ['auto', 'on', 'off'],
  help: 'progress bar (auto: when stderr is a terminal)',
  default: 'auto',
} as const;

/** `--context-size`: tokens per context. */
export const CONTEXT_SIZE_OPTION = {
  key: 'contextSize',
  flag: '--context-size <n>',
  kind: 'int',
  min: 2,
  help: 'tokens per context',
  defaultHelp: 'min(128, model context)',
} as const;
