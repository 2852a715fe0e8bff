/**
 * Reads one file of a KB folder as text it does not trust: only a regular file whose real path
 * (symlinks resolved) is inside the KB folder, and only up to a size bound checked before reading,
 * so a `notes.md -> ~/.aws/credentials` link is never read and a huge file is never loaded.
 */
import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import path from "node:path";

/** Larger files are skipped unread: well past the API's 800 KB body and 64 KiB metadata. */
export const KB_FILE_MAX_BYTES = 4 * 1024 * 1024;

/** The file's text, or why it was not read. */
export type KbFileRead = { ok: true; text: string } | { ok: false; reason: string };

/** Whether `real` (a resolved path) is `root` (a resolved folder) or below it. */
function isInside(real: string, root: string): boolean {
  const rel = path.relative(root, real);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Why the link `file` is not followed from the KB folder `root` (resolved), if it is not. */
export async function outsideReason(file: string, root: string): Promise<string | undefined> {
  const real = await realpath(file);
  return isInside(real, root) ? undefined : outside(real, root);
}

function outside(real: string, root: string): string {
  return `a symlink to ${real}, outside the KB folder ${root}; not read`;
}

/**
 * Reads `file`, a file below the KB folder `root` (resolved with realpath), as UTF-8 text. The
 * resolved path is opened and checked through the same handle, so the size and kind read are the
 * ones checked.
 */
export async function readKbFile(file: string, root: string): Promise<KbFileRead> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    return { ok: false, reason: `cannot read: ${errorText(err)}` };
  }
  if (!isInside(real, root)) return { ok: false, reason: outside(real, root) };
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // Non-blocking, so a FIFO swapped in for the file cannot hang the open.
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, reason: "cannot read: not a regular file" };
    if (info.size > KB_FILE_MAX_BYTES) {
      return {
        ok: false,
        reason: `the file is ${info.size} bytes; files over ${KB_FILE_MAX_BYTES} are not read`,
      };
    }
    const bytes = await handle.readFile();
    if (bytes.length > KB_FILE_MAX_BYTES) {
      return { ok: false, reason: `the file grew past ${KB_FILE_MAX_BYTES} bytes while read` };
    }
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch (err) {
    const reason = err instanceof TypeError ? "not valid UTF-8 text" : errorText(err);
    return { ok: false, reason: `cannot read: ${reason}` };
  } finally {
    await handle?.close();
  }
}

/** An error's message, for a report line. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
