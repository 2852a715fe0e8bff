/** Which vector store serves: Vectorize where the `VECTORIZE` binding exists, else the isolate. */
import type { Db } from "../storage/db";
import { IsolateStore } from "./isolate-store";
import type { VectorStore } from "./vector-store";
import { VectorizeStore } from "./vectorize-store";

/** The vector store of this environment. */
export function selectVectorStore(env: Pick<Env, "VECTORIZE">, db: Db): VectorStore {
  // `wrangler types` names the beta class for a `vectorize` binding; every index created today
  // is a V2 index, whose binding has the V2 API (mutation ids, `processedUpToMutation`).
  const index = env.VECTORIZE as unknown as Vectorize | undefined;
  return index ? new VectorizeStore(db, index) : new IsolateStore(db);
}
