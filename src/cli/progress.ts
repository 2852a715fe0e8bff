/** A progress bar with ETA on stderr; silent where stderr is not a terminal or output is JSON. */
import cliProgress from "cli-progress";

/** The bar's controls. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** Starts a bar labelled `label`. */
export function startProgress(label: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} · {percentage}% · ETA {eta_formatted}`,
      stream: process.stderr,
      etaBuffer: 20,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(0, 0);
  return {
    update(done, total) {
      bar.setTotal(Math.max(total, done));
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
