/** Messages between the bench and its raw-embedder process (raw-child.ts). */
import type { EmbedderInfo } from "../../src/embedder/types.js";

/** A request to the raw embedder. */
export type RawRequest =
  | { id: number; kind: "info" }
  | { id: number; kind: "throughput"; texts: string[]; batchSize: number }
  | { id: number; kind: "single"; text: string };

/** Its reply (`ready` once, unsolicited, when the model is loaded). */
export type RawReply =
  | { id: number; kind: "ready" }
  | { id: number; kind: "info"; info: EmbedderInfo }
  | { id: number; kind: "elapsed"; ms: number }
  | { id: number; kind: "error"; message: string };
