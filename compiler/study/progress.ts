// Progress of a study on stderr: a bar on a terminal (records/s, ETA, failures so far), and
// otherwise (CI logs, pipes) one plain line every `every` seconds and one at the end.

import { SingleBar } from "cli-progress";

export interface Progress {
  tick(done: number, failed: number): void;
  /** Erases the bar (before other stderr output); it comes back on the next tick. */
  interrupt(write: () => void): void;
  stop(): void;
}

const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);
const showRate = (r: number) => (r >= 10 ? r.toFixed(1) : r.toPrecision(2));

function eta(done: number, total: number, ms: number): string {
  if (done === 0) return "?";
  const s = Math.round(((total - done) * ms) / done / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function createProgress(total: number, opts: { tty?: boolean; every?: number; label?: string } = {}): Progress {
  const t0 = performance.now();
  const label = opts.label ?? "semic";
  if (opts.tty ?? process.stderr.isTTY === true) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total} records | {rate} rec/s | ETA {etaText} | {failed} failed`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    });
    bar.start(total, 0, { rate: "0", etaText: "?", failed: 0 });
    return {
      tick(done, failed) {
        const ms = performance.now() - t0;
        bar.update(done, { rate: showRate(rate(done, ms)), etaText: eta(done, total, ms), failed });
      },
      interrupt(write) {
        process.stderr.write("\r\x1b[K");
        write();
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  const every = (opts.every ?? 10) * 1000;
  let last = t0, done = 0, failed = 0;
  const line = () => {
    const ms = performance.now() - t0;
    process.stderr.write(`${label}: ${done}/${total} records, ${showRate(rate(done, ms))} rec/s, ETA ${eta(done, total, ms)}, ${failed} failed\n`);
  };
  return {
    tick(d, f) {
      done = d;
      failed = f;
      const now = performance.now();
      if (now - last >= every) {
        last = now;
        line();
      }
    },
    interrupt: (write) => write(),
    stop: () => {
      if (total > 0) line();
    },
  };
}
