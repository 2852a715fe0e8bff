/**
 * The service side of a sync, over the HTTP API: list a KB, read one entry, send files' entries
 * (the importer's batch sender, with its checks, batching, retries and per-entry reasons), delete.
 *
 * Conditional writes: when the entries API takes `If-Match` (row versions), `push` and `remove`
 * are the one place to send it: each item carries the `updated_at` its record last saw
 * (`base`), and a 412 answer is then a conflict for that entry rather than an overwrite.
 */
import type { ApiClient } from "../cli/client.js";
import { CliError } from "../cli/errors.js";
import { ok } from "../contract/client.js";
import { httpSender } from "../import/http-sender.js";
import { importKbs } from "../import/import-kbs.js";
import type { Skipped } from "../import/read-kb.js";
import type { Entry, EntryList, EntryListItem } from "../shared/api-types.js";
import { contentOfEntry, fingerprint } from "./fingerprint.js";
import type { LocalEntry, RemoteEntry } from "./plan.js";

/** One entry to send, with the service version its record last saw. */
export interface PushItem {
  local: LocalEntry;
  /** The file, relative to the KB folder, as reports name it. */
  file: string;
  /** The `updated_at` of the last sync, where there was one (for If-Match). */
  base: string | undefined;
}

/** What the service side of a sync can do. */
export interface Remote {
  list(kb: string): Promise<Map<string, RemoteEntry>>;
  get(kb: string, id: string): Promise<RemoteEntry | undefined>;
  /** Sends entries (create or update by id); answers the ones refused, with reasons. */
  push(kb: string, items: PushItem[]): Promise<Skipped[]>;
  /** Deletes an entry; one already gone is not an error. */
  remove(kb: string, id: string, base: string | undefined): Promise<void>;
}

/**
 * Entries per listing request: bodies run to 800 KB, and pages of the API's maximum (500) of a
 * KB of long posts make responses of 8 MB and more that the worker may drop under load.
 */
const LIST_PAGE = 100;

/** A listed entry as a whole entry: sync asks for bodies, so a missing one is a server fault. */
export function withBody(item: EntryListItem): Entry {
  const { excerpt: _excerpt, body, ...rest } = item;
  if (body === undefined)
    throw new Error(`the server listed ${item.kb_name}/${item.id} without its body`);
  return { ...rest, body };
}

/** An entry with its fingerprint. */
function remoteEntry(entry: Entry): RemoteEntry {
  return { entry, hash: fingerprint(contentOfEntry(entry)) };
}

/** The Remote for the server `client` talks to. */
export function httpRemote(client: ApiClient): Remote {
  return {
    async list(kb) {
      const out = new Map<string, RemoteEntry>();
      // Pages end where the server's byte budget does: follow `next_offset`, not the limit.
      for (let offset: number | null = 0; offset !== null; ) {
        const page: EntryList = await ok(
          client.http.api.entries.$get({
            query: { kb, limit: String(LIST_PAGE), offset: String(offset), fields: "body" },
          }),
        );
        for (const item of page.entries) out.set(item.id, remoteEntry(withBody(item)));
        offset = page.next_offset;
      }
      return out;
    },
    async get(kb, id) {
      try {
        return remoteEntry(
          (await ok(client.http.api.entries[":id"].$get({ param: { id }, query: { kb } }))).entry,
        );
      } catch (error) {
        if (error instanceof CliError && error.status === 404) return undefined;
        throw error;
      }
    },
    async push(kb, items) {
      if (items.length === 0) return [];
      const report = await importKbs(
        [
          {
            name: kb,
            dirs: [],
            notes: [],
            files: items.length,
            entries: items.map((item) => ({ path: item.file, entry: item.local.entry })),
            skipped: [],
            warnings: [],
          },
        ],
        {
          send: httpSender(client.urlOf("/api/entries/batch"), client.headers()),
          mode: "upsert",
          dryRun: false,
        },
      );
      return report.kbs.flatMap((k) => k.skipped);
    },
    async remove(kb, id) {
      try {
        await ok(
          client.http.api.entries[":id"].$delete({ param: { id }, query: { kb }, header: {} }),
        );
      } catch (error) {
        if (error instanceof CliError && error.status === 404) return;
        throw error;
      }
    },
  };
}
