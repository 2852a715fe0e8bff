/**
 * fast-check arbitraries for bad input: KB names and ids that must be refused (path-like,
 * SQL-like, empty, too long, unicode, control characters), malformed and truncated JSON, wrong
 * types, missing and unknown fields, invalid query parameters.
 */
import fc from "fast-check";

const KB = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Strings every route must refuse as names or ids, whatever else the request holds. */
const hostile = [
  "",
  " ",
  ".",
  "..",
  "../x",
  "..\\x",
  "a/b",
  "/etc/passwd",
  "%2e%2e",
  "%2F",
  "x' OR 1=1 --",
  "'; DROP TABLE entries; --",
  '" OR ""="',
  "a\u0000b",
  "\u0000",
  "a\nb",
  "a b",
  "\u202Eevil",
  "😀",
  "é",
  "Ａ",
  "-a",
  "_a",
  ".hidden",
  "\uD800",
] as const;

function hostileOr(valid: RegExp, maxLength: number) {
  return fc.oneof(
    fc.constantFrom(...hostile),
    fc.constant("a".repeat(maxLength + 1)),
    fc.string({ unit: "binary", minLength: 0, maxLength: 80 }).filter((s) => !valid.test(s)),
  );
}

/** KB names that must be refused. */
export const badKb = hostileOr(KB, 64).filter((s) => !KB.test(s));
/** Entry ids that must be refused (as a path segment or a field). */
export const badId = fc
  .oneof(
    hostileOr(ID, 200),
    fc.constantFrom("A".repeat(201), "Upper.Case-OK.But-Too-Long".repeat(9)),
  )
  .filter((s) => !ID.test(s));

/**
 * A string as a path segment. Lone surrogates can't be percent-encoded as UTF-8: they go out as
 * the invalid UTF-8 they would be, which the server must refuse just the same.
 */
export function pathSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s]
      .map((ch) => {
        try {
          return encodeURIComponent(ch);
        } catch {
          return "%ED%A0%80";
        }
      })
      .join("");
  }
}

/** Raw paths (not encoded by us) that try to escape or confuse routing. */
export const rawEntryPaths = [
  "/api/entries/a/b?kb=notes",
  "/api/entries/%2e%2e?kb=notes",
  "/api/entries/..%2fx?kb=notes",
  "/api/entries/..%2Fx?kb=notes",
  "/api/entries/%00?kb=notes",
  "/api/entries/%E0%A4%A?kb=notes",
  "/api/entries/%?kb=notes",
  "/api/entries/x%20y?kb=notes",
  "/api/entries/existing?kb=..%2Fnotes",
  "/api/entries/existing?kb=notes&kb=other",
  "/api/entries/existing?kb[]=notes",
  "/api/entries/existing",
] as const;

/** Valid bodies, each to be broken in exactly one place. */
export const validBodies = {
  create: { kb: "bad", id: "fresh-id", title: "A title", body: "b" },
  replace: { title: "A title", body: "b" },
  patch: { body: "b" },
} as const;

/** Values of the wrong type for any field. */
const wrongValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

const entryFields = [
  "title",
  "body",
  "summary",
  "entry_type",
  "tags",
  "importance",
  "metadata",
] as const;

/** Right types, out of bounds. */
const outOfBounds: Record<string, unknown>[] = [
  { title: "" },
  { title: "   \n\t " },
  { title: "t".repeat(1001) },
  { summary: "s".repeat(10_001) },
  { entry_type: "Note" },
  { entry_type: "" },
  { entry_type: "1note" },
  { tags: [""] },
  { tags: ["t".repeat(101)] },
  { tags: Array.from({ length: 101 }, (_, i) => `t${i}`) },
  { importance: 0 },
  { importance: 11 },
  { importance: 5.5 },
  { importance: "5" },
  { metadata: [] },
  { metadata: { big: "m".repeat(64 * 1024) } },
  { unknown_field: true },
  { constructor: "x" },
];

/** A body of `kind` broken in exactly one way (or not an object at all). */
export function brokenBody(kind: keyof typeof validBodies) {
  const valid: Record<string, unknown> = validBodies[kind];
  const options = [
    fc
      .tuple(fc.constantFrom(...entryFields), wrongValue)
      .filter(([field, value]) => !(field === "metadata" && isPlainObject(value)))
      .map(([field, value]) => ({ ...valid, [field]: value })),
    fc.constantFrom(...outOfBounds).map((broken) => ({ ...valid, ...broken })),
    badKb.map((kb) => ({ ...valid, kb })),
    fc.constantFrom<unknown>([], [valid], 1, "a string", true, null),
  ];
  if (kind === "create") {
    options.push(
      badId.map((id) => ({ ...valid, id })),
      fc.constantFrom("kb", "title").map((field) => {
        const body = { ...valid };
        delete body[field];
        return body;
      }),
    );
  } else {
    // An id in the body is not a rename; a kb-only patch changes nothing.
    options.push(fc.constant({ ...valid, id: "other" }));
    if (kind === "patch") options.push(fc.constantFrom({}, { kb: "bad" }));
    if (kind === "replace") options.push(fc.constant({ body: "no title" }));
  }
  return fc.oneof(...options);
}

function isPlainObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Text that is not JSON: truncated documents, near-misses and garbage. */
export const malformedJson = fc.oneof(
  fc
    .tuple(
      fc.constant(
        JSON.stringify({ ...validBodies.create, tags: ["a", "b"], metadata: { k: [1, 2] } }),
      ),
      fc.nat(),
    )
    .map(([text, cut]) => text.slice(0, 1 + (cut % (text.length - 1)))),
  fc.constantFrom(
    "{",
    "}",
    "[",
    "nul",
    "tru",
    "{'kb': 'bad'}",
    '{"kb": }',
    '{"kb": "bad",}',
    '{"kb": "bad" "title": "x"}',
    '{"title": NaN}',
    '{"importance": 01}',
    "\uFEFF{}",
    '{"kb": "bad"}{"kb": "bad"}',
    '{"kb": "\\x41"}',
    '{"kb": "\\uD8"}',
    "[".repeat(100_000),
  ),
  // Blank is not malformed: where a body is optional it means "no options".
  fc.string({ unit: "binary", maxLength: 50 }).filter((s) => {
    if (s.trim() === "") return false;
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);

/** Query values for `limit`/`offset` that must be refused. */
export const badPaging = fc.constantFrom(
  "-1",
  "0",
  "abc",
  "1.5",
  "",
  " ",
  "1e9",
  "NaN",
  "Infinity",
  "-0.5",
  "99999999999999999999",
  "10abc",
);

/** `mode` values that must be refused. */
export const badMode = fc.oneof(
  fc.constantFrom("foo", "", "KEYWORD", "keyword ", "semantic,hybrid", "hybrid\u0000"),
  fc.string({ maxLength: 20 }).filter((s) => !["keyword", "semantic", "hybrid"].includes(s)),
);
