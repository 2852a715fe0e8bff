/** The longest id an entry may have (see `entryIdSchema`). */
const MAX_ID_LENGTH = 200;

/**
 * pyrite's default entry id: the title lowercased, every run of characters outside [a-z0-9]
 * collapsed to one "-", with no "-" at either end; cut to the id length limit so a long title
 * still yields an id the API can address.
 */
export function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, MAX_ID_LENGTH)
    .replace(/-+$/, "");
}
