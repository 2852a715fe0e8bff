/**
 * pyrite's default entry id: the title lowercased, every run of characters outside [a-z0-9]
 * collapsed to one "-", with no "-" at either end.
 */
export function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
