/**
 * A long note of many `##` sections for the one-section-edit freshness scenario, and its edits:
 * each edit rewrites the prose of one section and leaves every other byte of the body as it was,
 * the way a person edits one part of a long note.
 */
import { makeEntry, prose } from "./corpus.js";
import { mixSeed, mulberry32 } from "./prng.js";

/** A note whose body is `sections`, each under its own `## ` heading. */
export interface SectionedNote {
  id: string;
  title: string;
  summary: string;
  tags: string[];
  /** Each section's prose (without its heading). */
  sections: string[];
}

/** The body of the note: `## Part n` headings, each followed by its section's prose. */
export function bodyOf(note: SectionedNote): string {
  return note.sections.map((text, i) => `## Part ${i + 1}\n\n${text}`).join("\n\n");
}

/** A note of `sections` sections of about `sectionWords` words each (deterministic per seed). */
export function sectionedNote(
  seed: number,
  id: string,
  sections: number,
  sectionWords: number,
): SectionedNote {
  const head = makeEntry(seed, 0, 0, id);
  const random = mulberry32(mixSeed(seed, 1));
  return {
    id,
    title: head.title,
    summary: head.summary,
    tags: head.tags,
    sections: Array.from({ length: sections }, () => prose(random, sectionWords)),
  };
}

/** The note with section `revision % sections` rewritten (new prose of the same length). */
export function editSection(
  note: SectionedNote,
  seed: number,
  revision: number,
  sectionWords: number,
): SectionedNote {
  const random = mulberry32(mixSeed(seed ^ 0x2545f491, revision));
  const at = revision % note.sections.length;
  return {
    ...note,
    sections: note.sections.map((text, i) => (i === at ? prose(random, sectionWords) : text)),
  };
}
