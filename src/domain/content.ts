/** What gets embedded for an entry, and the hash that identifies that exact text. */

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
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(embeddedText(fields)),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
