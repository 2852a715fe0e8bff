/** What gets embedded for an entry, and the hash that identifies that exact text. */
import { sha256Hex } from "../passages/hash.js";

/** The fields of an entry that make up its embedded text. */
export interface EmbeddedFields {
  title: string;
  summary: string;
  body: string;
}

/** Title, summary and body joined; the embedder truncates it by tokens at its window. */
export function embeddedText(fields: EmbeddedFields): string {
  return [fields.title, fields.summary, fields.body].filter((part) => part.length > 0).join("\n\n");
}

/** SHA-256 (hex) of the embedded text: a vector is current only while this still matches. */
export async function contentHash(fields: EmbeddedFields): Promise<string> {
  return sha256Hex(embeddedText(fields));
}
