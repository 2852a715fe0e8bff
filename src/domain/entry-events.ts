/** The events that announce a committed write to WebSocket subscribers. */
import type { EntryChangedMessage } from "../shared/messages";
import type { EntryRow } from "../storage/schema";

/** `entry_created` / `entry_updated` for a row just written (its text not yet embedded). */
export function entryChanged(
  type: "entry_created" | "entry_updated",
  row: EntryRow,
): EntryChangedMessage {
  return {
    type,
    kb_name: row.kbName,
    entry_id: row.id,
    content_hash: row.contentHash,
    model: null,
    attempts: 0,
    queued_at: row.updatedAt,
    embedded_at: null,
  };
}
