/**
 * The embedder behind `EMBEDDER` in the workerd tests: the real protocol handler over the real
 * transformers.js path (generated tiny model) or the hash provider, wrapped with faults the tests
 * switch on through `POST http://embedder/__control` (failures, NaN, wrong dimensions, delays, a
 * gate that holds calls until released). It runs in Node, like the local server's embedder.
 */
import { mulberry32 } from "../../scripts/model/prng.js";
import { createHashEmbedder } from "../../src/embedder/hash.js";
import { encodeVectors, HEADERS } from "../../src/embedder/protocol.js";
import type { Embedder, EmbedderInfo, EmbedOutput } from "../../src/embedder/types.js";
import { createEmbedderHandler, type RequestLike } from "../../src/node/embedder-handler.js";
import { createTransformersEmbedder } from "../../src/node/transformers-embedder.js";

/** What tests can switch on. */
export interface EmbedderControl {
  backing: "hash" | "transformers";
  /** Fail every call whose texts include one containing any of these substrings. */
  failTexts: string[];
  /** Fail the next N calls. */
  failNext: number;
  /** Fail calls at random with this probability (seeded). */
  failRate: number;
  seed: number;
  /** Return NaN components / vectors of the wrong length. */
  nan: boolean;
  wrongDims: boolean;
  /** Hold every embed call until `POST /__control/release`. */
  block: boolean;
  /**
   * A frozen embedder process: every request (`/info` too) is held, unanswered, until
   * `POST /__control/release` or a reset.
   */
  freeze: boolean;
  delayMs: number;
}

const defaults: EmbedderControl = {
  backing: "hash",
  failTexts: [],
  failNext: 0,
  failRate: 0,
  seed: 1,
  nan: false,
  wrongDims: false,
  block: false,
  freeze: false,
  delayMs: 0,
};

/** Builds the Node-side handler; `modelDir` is the generated tiny model. */
export function createTestEmbedderService(modelDir: string) {
  let control: EmbedderControl = { ...defaults };
  let random = mulberry32(control.seed);
  let calls = 0;
  let texts = 0;
  let waiting = 0;
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  const hash = createHashEmbedder();
  let transformers: Promise<Embedder> | null = null;
  /** Waits at the gate until it is opened (release or reset). */
  const held = async () => {
    gate ??= (() => {
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { promise, open };
    })();
    waiting++;
    await gate.promise;
    waiting--;
  };
  const backing = (): Promise<Embedder> => {
    if (control.backing === "hash") return Promise.resolve(hash);
    transformers ??= createTransformersEmbedder({ model: modelDir });
    return transformers;
  };

  const faulty: Embedder = {
    async info(): Promise<EmbedderInfo> {
      return (await backing()).info();
    },
    async embed(input: string[]): Promise<EmbedOutput> {
      calls++;
      texts += input.length;
      if (control.block) await held();
      if (control.delayMs > 0) await new Promise((r) => setTimeout(r, control.delayMs));
      if (control.failNext > 0) {
        control.failNext--;
        throw new Error("injected failure");
      }
      const poisoned = input.find((t) => control.failTexts.some((s) => t.includes(s)));
      if (poisoned !== undefined) throw new Error("injected failure for this text");
      if (control.failRate > 0 && random() < control.failRate) {
        throw new Error("injected random failure");
      }
      return (await backing()).embed(input);
    },
  };

  const handler = createEmbedderHandler(faulty);
  // The handler refuses bad vectors itself; to prove the worker's own checks, NaN and
  // wrong-dimension faults are sent as if by a broken embedder that doesn't.
  const corrupt = async (request: RequestLike): Promise<Response> => {
    const { texts: input } = JSON.parse(new TextDecoder().decode(await request.arrayBuffer())) as {
      texts: string[];
    };
    const batch = await faulty.embed(input);
    const vectors = batch.vectors.map((v) =>
      control.nan ? v.map(() => Number.NaN) : v.slice(0, 7),
    );
    const dims = vectors[0]?.length ?? 0;
    return new Response(encodeVectors(vectors, dims), {
      headers: {
        "content-type": "application/octet-stream",
        [HEADERS.count]: String(vectors.length),
        [HEADERS.dims]: String(dims),
        [HEADERS.truncated]: "",
      },
    });
  };
  const json = (body: unknown) =>
    new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

  return async function handle(request: RequestLike): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/__control" && request.method === "POST") {
      const patch = JSON.parse(
        new TextDecoder().decode(await request.arrayBuffer()),
      ) as Partial<EmbedderControl>;
      control = { ...control, ...patch };
      if (patch.seed !== undefined) random = mulberry32(patch.seed);
      return json(control);
    }
    if (pathname === "/__control/reset") {
      control = { ...defaults };
      random = mulberry32(control.seed);
      calls = 0;
      texts = 0;
      gate?.open();
      gate = null;
      return json(control);
    }
    if (pathname === "/__control/release") {
      control.block = false;
      control.freeze = false;
      gate?.open();
      gate = null;
      return json({ released: true });
    }
    if (pathname === "/__control/stats") return json({ calls, texts, waiting });
    if (control.freeze) await held();
    if (pathname === "/embed" && (control.nan || control.wrongDims)) return corrupt(request);
    return handler(request);
  };
}
