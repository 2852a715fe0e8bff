/** Checks shared by the bad-input tests: the one error shape, and "nothing was written". */
import { env } from "cloudflare:workers";

/** What a rejected request must look like; returns a list of problems (empty when fine). */
export async function errorShapeProblems(res: Response, allowed = [400, 499]): Promise<string[]> {
  const problems: string[] = [];
  const [min, max] = allowed;
  if (min === undefined || max === undefined) throw new Error("allowed is [min, max]");
  if (res.status < min || res.status > max) problems.push(`status ${res.status}`);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) problems.push(`content-type ${type}`);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...problems, `body is not JSON: ${text.slice(0, 200)}`];
  }
  const error = (body as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  const keys = body !== null && typeof body === "object" ? Object.keys(body) : [];
  if (keys.length !== 1 || keys[0] !== "error" || typeof error !== "object" || error === null) {
    return [...problems, `not the error shape: ${text.slice(0, 200)}`];
  }
  if (typeof error.code !== "string" || error.code === "") problems.push("error.code missing");
  if (typeof error.message !== "string" || error.message === "") {
    problems.push("error.message missing");
  }
  const extra = Object.keys(error).filter((k) => !["code", "message", "details"].includes(k));
  if (extra.length > 0) problems.push(`unexpected error fields ${extra.join(", ")}`);
  if (problems.length > 0) problems.push(`body ${text.slice(0, 200)}`);
  return problems;
}

/** Fails unless the response is a 4xx in the JSON error shape. */
export async function expectClientError(res: Response, what: string): Promise<void> {
  const problems = await errorShapeProblems(res);
  if (problems.length > 0) throw new Error(`${what}: ${problems.join("; ")}`);
}

/** Everything the API can write, in one comparable string. */
export async function snapshot(): Promise<string> {
  const [entries, queue, vectors] = await env.DB.batch([
    env.DB.prepare(
      "SELECT kb_name, id, content_hash, updated_at, tags, metadata, importance, entry_type FROM entries ORDER BY kb_name, id",
    ),
    env.DB.prepare(
      "SELECT kb_name, entry_id, status, attempts, content_hash, next_attempt_at FROM embed_queue ORDER BY kb_name, entry_id",
    ),
    env.DB.prepare(
      "SELECT kb_name, entry_id, content_hash, embedded_at FROM entry_embeddings ORDER BY kb_name, entry_id",
    ),
  ]);
  return JSON.stringify([entries?.results, queue?.results, vectors?.results]);
}
