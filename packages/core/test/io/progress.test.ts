import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, ProgressBar } from '../../src/io/index.js';

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 100, write: (s: string) => out.push(s) } };
}

describe('formatters', () => {
  it('format bytes, counts and durations', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(50 * 1024 ** 2)).toBe('50.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.00 GiB');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(12345)).toBe('12.3k');
    expect(formatCount(2.5e6)).toBe('2.50M');
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('--:--');
  });
});

describe('ProgressBar', () => {
  it('draws bytes, percentage, speed and ETA on a TTY, throttled, and ends the line', () => {
    let now = 0;
    const { out, stream } = fakeStream(true);
    const bar = new ProgressBar({
      total: 10 * 1024 ** 2,
      label: 'model.safetensors',
      unit: 'bytes',
      stream,
      now: () => now,
    });
    now = 1000;
    bar.update(1024 ** 2); // 1 MiB/s
    expect(out.length).toBe(1);
    expect(out[0]).toMatch(/^\rmodel\.safetensors \[#+-+\] {2}10% 1.00 MiB\/10.0 MiB 1.00 MiB\/s ETA 0:09/);
    now = 1050;
    bar.update(2 * 1024 ** 2); // within 100 ms: not drawn
    expect(out.length).toBe(1);
    now = 2000;
    bar.update(4 * 1024 ** 2);
    expect(out.length).toBe(2);
    expect(out[1]).toMatch(/ 40% 4.00 MiB\/10.0 MiB 2.00 MiB\/s ETA 0:03/);
    now = 4000;
    bar.update(10 * 1024 ** 2);
    bar.finish();
    bar.finish();
    expect(out.at(-1)).toBe('\n');
    expect(out.at(-2)).toMatch(/\[#{10,}\] 100% 10.0 MiB\/10.0 MiB 2.50 MiB\/s in 0:04/);
  });

  it('counts with a unit, with an unknown total', () => {
    let now = 0;
    const { out, stream } = fakeStream(true);
    const bar = new ProgressBar({ label: 'train', unit: 'steps', stream, now: () => now });
    now = 2000;
    bar.update(5000);
    expect(out[0]).toBe('\rtrain 5.00k steps 2.50k steps/s 0:02');
  });

  it('is silent off a TTY unless enabled, and then prints plain lines every few seconds', () => {
    let now = 0;
    const quiet = fakeStream(false);
    const bar = new ProgressBar({ total: 10, stream: quiet.stream, now: () => now });
    bar.update(5);
    bar.finish();
    expect(quiet.out).toEqual([]);
    const log = fakeStream(false);
    const b2 = new ProgressBar({ total: 100, unit: 'it', stream: log.stream, enabled: true, now: () => now });
    for (let i = 1; i <= 100; i++) {
      now += 100;
      b2.update(i);
    }
    b2.finish();
    expect(log.out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(log.out.length).toBe(3); // t=0.1 s, t=5.1 s, final
    expect(log.out.at(-1)).toMatch(/100% 100\/100 it .* in 0:10/);
  });
});

describe('ProgressBar.setStatus', () => {
  it('shows the status after the ETA and clears it with an empty string', () => {
    let t = 0;
    const bar = new ProgressBar({ total: 10, label: 'train', enabled: false, now: () => t });
    t = 1000;
    bar.update(5);
    bar.setStatus('loss 1.234');
    expect(bar.render()).toMatch(/loss 1\.234$/);
    bar.setStatus('');
    expect(bar.render()).not.toContain('loss');
  });
});
