/**
 * Text sources for SAE training: plain text files, JSON Lines with a text field, Parquet files as written
 * by Hugging Face `datasets`, and the demo corpus. Each yields documents (strings) in a fixed order.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { corpusDocuments } from '@mechlens/demo';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';

/** The name that selects the shipped demo corpus as a data source. */
export const DEMO_CORPUS = 'demo-corpus';

/**
 * Options of {@link documents}.
 *
 * @example
 * documents('data/train.jsonl', { field: 'content' });
 */
export interface DocumentOptions {
  /** JSONL / Parquet: the text column (default `text`). */
  field?: string;
  /** Demo corpus: its seed (default 1; the demo model was trained on seed 0). */
  seed?: number;
}

/** Lines of a file, read in 1 MiB chunks (files larger than memory are fine). */
function* lines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = rest + buf.toString('utf8', 0, n);
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
    }
    if (rest.length) yield rest;
  } finally {
    closeSync(fd);
  }
}

function* textFile(path: string): Generator<string> {
  // one document per paragraph (blank-line separated), so prose files keep their sentences together
  let para: string[] = [];
  for (const line of lines(path)) {
    if (line.trim() === '') {
      if (para.length) yield para.join('\n');
      para = [];
    } else para.push(line);
  }
  if (para.length) yield para.join('\n');
}

function* jsonlFile(path: string, field: string): Generator<string> {
  let n = 0;
  for (const line of lines(path)) {
    n++;
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${n}: not valid JSON (${(e as Error).message})`);
    }
    const v = (rec as Record<string, unknown>)[field];
    if (typeof v !== 'string') {
      const keys = rec && typeof rec === 'object' ? Object.keys(rec).join(', ') : typeof rec;
      throw new Error(
        `${path}:${n}: no string field '${field}' (fields: ${keys}); choose one with --text-field`,
      );
    }
    yield v;
  }
}

/**
 * The rows of one text column of a Parquet file (as written by Hugging Face `datasets` / pyarrow;
 * snappy-compressed or uncompressed), read one row group at a time.
 *
 * @example
 * for await (const doc of parquetDocuments('train-00000-of-00001.parquet')) console.log(doc.slice(0, 40));
 */
export async function* parquetDocuments(path: string, field = 'text'): AsyncGenerator<string> {
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new Error(`${path}: not a readable Parquet file (${(e as Error).message})`);
  }
  const columns = metadata.schema.slice(1).map((c) => c.name);
  if (!columns.includes(field))
    throw new Error(
      `${path}: no column '${field}' (columns: ${columns.join(', ')}); choose one with --text-field`,
    );
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, columns: [field], rowStart, rowEnd });
    for (const r of rows) {
      const v = (r as Record<string, unknown>)[field];
      if (typeof v === 'string') yield v;
      else if (v !== null && v !== undefined)
        throw new Error(`${path}: column '${field}' holds ${typeof v} values, not text`);
    }
    rowStart = rowEnd;
  }
}

/**
 * The documents of a data source, in a fixed order: `demo-corpus` (the endless demo training stream), a
 * `.txt` file (one document per blank-line separated paragraph), a `.jsonl` file (one JSON object per
 * line, text in `field`), or a `.parquet` file (text column `field`).
 *
 * @example
 * for await (const doc of documentStream('data/train.jsonl')) console.log(doc.length);
 */
export async function* documentStream(source: string, opts: DocumentOptions = {}): AsyncGenerator<string> {
  if (source === DEMO_CORPUS) {
    for (const d of corpusDocuments({ seed: opts.seed ?? 1, split: 'train' })) yield d.text;
    return;
  }
  if (!existsSync(source))
    throw new Error(
      `data source '${source}' does not exist (give a .txt, .jsonl or .parquet file, or '${DEMO_CORPUS}')`,
    );
  if (statSync(source).isDirectory())
    throw new Error(`data source '${source}' is a folder; give a .txt, .jsonl or .parquet file`);
  const ext = extname(source).toLowerCase();
  if (ext === '.txt' || ext === '.md') yield* textFile(source);
  else if (ext === '.jsonl' || ext === '.ndjson') yield* jsonlFile(source, opts.field ?? 'text');
  else if (ext === '.parquet') yield* parquetDocuments(source, opts.field ?? 'text');
  else
    throw new Error(
      `data source '${source}': unknown extension '${ext}' (expected .txt, .jsonl or .parquet)`,
    );
}
