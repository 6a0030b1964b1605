/**
 * A small dependency-free progress bar for long jobs (downloads, SAE training, dataset passes):
 * `label [#####-----] 45% 12.3 MiB/27.0 MiB 4.1 MiB/s ETA 0:04`. On a TTY it redraws one line in
 * place (at most every 100 ms); on a non-TTY stream that was explicitly enabled it prints a plain
 * line every few seconds instead, so logs stay readable.
 */

/**
 * A writable text stream (`process.stderr` by default).
 *
 * @example
 * const stream: ProgressStream = { write: (s) => lines.push(s), isTTY: false };
 */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Options of {@link ProgressBar}.
 *
 * @example
 * const opts: ProgressBarOptions = { total: 100, label: 'epoch 1', unit: 'batches' };
 * const bar = new ProgressBar(opts);
 */
export interface ProgressBarOptions {
  /** Total amount of work; null/undefined when unknown (no percentage, no ETA). */
  total?: number | null;
  /** Text before the bar, e.g. the file name. */
  label?: string;
  /** `'bytes'` formats amounts as B/KiB/MiB/GiB; any other string is a count unit (`'steps'`, `'tok'`). */
  unit?: string;
  /** Where to draw (default `process.stderr`). */
  stream?: ProgressStream;
  /** Draw at all? Default: only when the stream is a TTY. */
  enabled?: boolean;
  /** Minimum milliseconds between redraws (default 100 on a TTY, 5000 otherwise). */
  intervalMs?: number;
  /** Clock in milliseconds (tests inject one); default `performance.now`. */
  now?: () => number;
}

/**
 * Formats a byte count with binary units.
 *
 * @example
 * formatBytes(1536); // '1.5 KiB'
 */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

/**
 * Formats a count compactly (k, M, G).
 *
 * @example
 * formatCount(12345); // '12.3k'
 */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a < 1000) return Number.isInteger(n) ? String(n) : n.toFixed(1);
  const [div, suf] = a < 1e6 ? [1e3, 'k'] : a < 1e9 ? [1e6, 'M'] : [1e9, 'G'];
  const v = n / div;
  return `${v.toFixed(Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0)}${suf}`;
}

/**
 * Formats seconds as `m:ss` or `h:mm:ss`.
 *
 * @example
 * formatDuration(3725); // '1:02:05'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A progress bar with amount, speed and ETA.
 *
 * @example
 * const bar = new ProgressBar({ total: 1000, label: 'train', unit: 'steps' });
 * for (let i = 0; i < 1000; i++) bar.tick();
 * bar.finish();
 */
export class ProgressBar {
  /** Work done so far. */
  done = 0;
  private total: number | null;
  private readonly label: string;
  private readonly unit: string;
  private readonly stream: ProgressStream;
  private readonly enabled: boolean;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastWidth = 0;
  private samples: { t: number; done: number }[] = [];
  private finished = false;
  private status = '';

  constructor(opts: ProgressBarOptions = {}) {
    this.total = opts.total ?? null;
    this.label = opts.label ?? '';
    this.unit = opts.unit ?? '';
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.enabled = opts.enabled ?? this.tty;
    this.intervalMs = opts.intervalMs ?? (this.tty ? 100 : 5000);
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
    this.samples.push({ t: this.start, done: 0 });
  }

  /** Sets the total (e.g. once a Content-Length is known). */
  setTotal(total: number | null): void {
    this.total = total;
  }

  /** Sets the amount done and redraws if enough time passed. */
  update(done: number): void {
    this.done = done;
    const t = this.now();
    const last = this.samples[this.samples.length - 1];
    if (t - last.t >= 200) {
      this.samples.push({ t, done });
      while (this.samples.length > 2 && t - this.samples[0].t > 5000) this.samples.shift();
    }
    if (this.enabled && t - this.lastDraw >= this.intervalMs) this.draw(t);
  }

  /**
   * Sets a short status shown after the ETA (e.g. the current loss); '' clears it.
   *
   * @example
   * bar.setStatus(`loss ${loss.toFixed(3)}`);
   */
  setStatus(text: string): void {
    this.status = text;
  }

  /** Adds `delta` to the amount done. */
  tick(delta = 1): void {
    this.update(this.done + delta);
  }

  /** Work per second over the last few seconds (0 until measurable). */
  rate(t = this.now()): number {
    const first = this.samples[0];
    const dt = (t - first.t) / 1000;
    return dt > 0 ? (this.done - first.done) / dt : 0;
  }

  private amount(n: number): string {
    return this.unit === 'bytes' ? formatBytes(n) : formatCount(n);
  }

  /** The status line as it would be drawn now (without the carriage return). */
  render(t = this.now()): string {
    const rate = this.finished ? this.done / Math.max(1e-9, (t - this.start) / 1000) : this.rate(t);
    const unit = this.unit && this.unit !== 'bytes' ? ` ${this.unit}` : '';
    const amount =
      this.total !== null
        ? `${this.amount(this.done)}/${this.amount(this.total)}${unit}`
        : `${this.amount(this.done)}${unit}`;
    const speed = `${this.amount(rate)}${this.unit === 'bytes' ? '' : unit}/s`;
    const elapsed = (t - this.start) / 1000;
    let tail: string;
    if (this.finished) tail = `in ${formatDuration(elapsed)}`;
    else if (this.total !== null && rate > 0) tail = `ETA ${formatDuration((this.total - this.done) / rate)}`;
    else tail = `${formatDuration(elapsed)}`;
    const head = this.label ? `${this.label} ` : '';
    if (this.status) tail += ` ${this.status}`;
    if (this.total === null || this.total <= 0) return `${head}${amount} ${speed} ${tail}`;
    const frac = Math.min(1, Math.max(0, this.done / this.total));
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const info = `${pct} ${amount} ${speed} ${tail}`;
    const columns = this.stream.columns ?? 80;
    const width = Math.max(10, Math.min(30, columns - head.length - info.length - 4));
    const filled = Math.round(frac * width);
    return `${head}[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${info}`;
  }

  private draw(t: number): void {
    this.lastDraw = t;
    const line = this.render(t);
    if (this.tty) {
      const pad = this.lastWidth > line.length ? ' '.repeat(this.lastWidth - line.length) : '';
      this.stream.write(`\r${line}${pad}`);
      this.lastWidth = line.length;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Draws the final state (average speed, elapsed time) and ends the line. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.enabled) return;
    this.draw(this.now());
    if (this.tty) this.stream.write('\n');
  }
}
