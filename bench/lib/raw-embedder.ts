/**
 * The baseline the pipeline is judged against: the same embedder in a process of its own
 * (raw-child.ts), at the same CPU priority as the server's embedder, fed the same texts at the
 * same batch size. Timing happens inside that process, so the IPC that carries the texts is not
 * counted.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { EmbedderInfo } from "../../src/embedder/types.js";
import { PROJECT_ROOT } from "./paths.js";
import type { RawReply, RawRequest } from "./raw-protocol.js";

/** Distributive Omit, so each request variant keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** The running baseline embedder. */
export class RawEmbedder {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: RawReply) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (message: RawReply) => this.pending.get(message.id)?.(message));
  }

  /** Forks the process, loads the model and warms it up. */
  static async start(modelDir: string): Promise<RawEmbedder> {
    const child = fork(join(PROJECT_ROOT, "bench", "lib", "raw-child.ts"), [], {
      execArgv: ["--import", "tsx"],
      cwd: PROJECT_ROOT,
      env: { ...process.env, PYRITE_MODEL: modelDir },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    process.on("exit", () => child.kill("SIGKILL"));
    await new Promise<void>((resolve, reject) => {
      child.once("message", (message: RawReply) => {
        if (message.kind === "ready") resolve();
        else reject(new Error(`raw embedder: unexpected ${message.kind}`));
      });
      child.once("exit", (code) =>
        reject(new Error(`raw embedder exited (${code}) while loading`)),
      );
    });
    return new RawEmbedder(child);
  }

  /** What the embedder says about itself (its fingerprint is the server's). */
  async describe(): Promise<EmbedderInfo> {
    const reply = await this.request({ kind: "info" });
    if (reply.kind !== "info") throw new Error(`raw embedder: unexpected ${reply.kind}`);
    return reply.info;
  }

  private request(message: WithoutId<RawRequest>): Promise<RawReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => {
        this.pending.delete(id);
        if (reply.kind === "error") reject(new Error(`raw embedder: ${reply.message}`));
        else resolve(reply);
      });
      this.child.send({ ...message, id } as RawRequest);
    });
  }

  private async elapsed(message: WithoutId<RawRequest>): Promise<number> {
    const reply = await this.request(message);
    if (reply.kind !== "elapsed") throw new Error(`raw embedder: unexpected ${reply.kind}`);
    return reply.ms;
  }

  /** Embeds `texts` in sequential batches of `batchSize`; seconds taken. */
  async throughput(texts: string[], batchSize: number): Promise<number> {
    return (await this.elapsed({ kind: "throughput", texts, batchSize })) / 1000;
  }

  /** Embeds one text; milliseconds taken. */
  single(text: string): Promise<number> {
    return this.elapsed({ kind: "single", text });
  }

  /** Ends the process. */
  stop(): void {
    this.child.kill("SIGTERM");
  }
}
