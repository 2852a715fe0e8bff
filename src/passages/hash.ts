/** Content addresses of passages: the same text in the same context under the same model is
 * the same vector, so an edit re-embeds only the passages whose address changed. */
import type { Passage } from "./split.js";

/** SHA-256 of a string's UTF-8 bytes, as lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The address of a passage's vector: model fingerprint, context and text. */
export function passageHash(
  model: string,
  passage: Pick<Passage, "context" | "text">,
): Promise<string> {
  // NUL cannot occur in a fingerprint, so no two (model, context, text) triples collide.
  return sha256Hex(`${model}\u0000${passage.context}\u0000${passage.text}`);
}
