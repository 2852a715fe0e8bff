/**
 * The importer's one YAML reader, for text it does not trust (frontmatter, kb.yaml). Size, nesting
 * depth and aliases are bounded before any value is built, and a structure that contains itself
 * is refused, so a nine-line file can neither exhaust memory nor recurse forever.
 */
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
} from "yaml";

/** Bounds on one YAML text. */
export const yamlLimits = {
  /**
   * Twice what the API keeps as metadata (64 KiB as JSON); real frontmatter is a few KB (the
   * corpus's largest is 4 KB). It also bounds the parser's time on a hostile shape to ~2 s.
   */
  bytes: 128 * 1024,
  /** Collections inside collections; pyrite's deepest is 3. */
  depth: 32,
  /**
   * The `yaml` package's own measure of alias expansion (aliases used × nodes behind them): its
   * default, stated here so the bound is a decision and not an accident.
   */
  aliasCount: 100,
} as const;

/** The text is not YAML this reader accepts; `line` and `column` are 1-based, in the text. */
export class YamlError extends Error {
  override name = "YamlError";
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/**
 * Parses one YAML document as YAML 1.1 (what pyrite's PyYAML reads: timestamps, merge keys,
 * `yes`/`no`). Throws YamlError for invalid YAML and for text over `yamlLimits`.
 */
export function readYaml(text: string): unknown {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > yamlLimits.bytes) {
    throw new YamlError(`${bytes} bytes of YAML; at most ${yamlLimits.bytes} are read`);
  }
  const lines = new LineCounter();
  // The parser builds a token tree without recursing or resolving anything; check its depth
  // before the composer (which recurses) turns it into nodes.
  const tokens = [...parseChecked(text, lines)];
  for (const token of tokens) checkDepth(token);
  const docs = [...new Composer({ version: "1.1" }).compose(tokens, true, text.length)];
  const [doc, second] = docs;
  if (doc === undefined) return null;
  const error = doc.errors[0];
  if (error) {
    const at = lines.linePos(error.pos[0]);
    throw new YamlError(error.message, at.line, at.col);
  }
  if (second) throw new YamlError("more than one YAML document");
  checkCycles(doc, doc.contents, []);
  try {
    return doc.toJS({ maxAliasCount: yamlLimits.aliasCount });
  } catch (err) {
    // The package throws a ReferenceError when aliases would expand past the bound.
    if (err instanceof ReferenceError) {
      throw new YamlError(
        `its aliases expand past ${yamlLimits.aliasCount} nodes (a "billion laughs" shape)`,
      );
    }
    throw err;
  }
}

/**
 * The parser's token trees, fed by a lexer this module watches. Shapes that nest deep in few bytes
 * (`[[[[…`, `- - - …`, `? ? ? …`) cost the parser seconds per 100 KB; watching its lexemes stops
 * them at the first level too deep. Flow brackets nest until closed; block indicators on one line
 * each open a level for that line. Deep indentation needs many bytes per level and is left to the
 * token-tree check.
 */
function* parseChecked(text: string, lines: LineCounter): Generator<CST.Token> {
  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0);
  let flow = 0;
  let line = 0;
  let scalarNext = false;
  for (const lexeme of new Lexer().lex(text)) {
    // The lexer marks each scalar with U+001F; the scalar's own text is never an indicator.
    if (scalarNext) scalarNext = false;
    else if (lexeme === "\u001f") scalarNext = true;
    else if (lexeme === "[" || lexeme === "{") flow++;
    else if (lexeme === "]" || lexeme === "}") flow--;
    else if (lexeme.includes("\n")) line = 0;
    else if (flow === 0 && (lexeme === "-" || lexeme === "?" || lexeme === ":")) line++;
    if (flow + line > yamlLimits.depth) tooDeep();
    yield* parser.next(lexeme);
  }
  yield* parser.end();
}

function tooDeep(): never {
  throw new YamlError(`nested more than ${yamlLimits.depth} levels deep`);
}

/** Walks the token tree with an explicit stack, so a deep input cannot overflow this walk. */
function checkDepth(root: CST.Token): void {
  const stack: { token: CST.Token; depth: number }[] = [{ token: root, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { token, depth } = next;
    if (token.type === "document" && token.value) stack.push({ token: token.value, depth });
    if (
      token.type !== "block-map" &&
      token.type !== "block-seq" &&
      token.type !== "flow-collection"
    )
      continue;
    if (depth + 1 > yamlLimits.depth) tooDeep();
    for (const item of token.items) {
      if (item.key) stack.push({ token: item.key, depth: depth + 1 });
      if (item.value) stack.push({ token: item.value, depth: depth + 1 });
    }
  }
}

/**
 * An alias can only point back at an anchor defined before it, so a structure contains itself
 * exactly when some alias names one of its own ancestors (`m: &m {self: *m}`).
 */
function checkCycles(doc: Document, node: unknown, ancestors: Node[]): void {
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target !== undefined && ancestors.includes(target)) {
      throw new YamlError(`the alias *${node.source} is inside its own anchor: a cycle`);
    }
    return;
  }
  if (isPair(node)) {
    checkCycles(doc, node.key, ancestors);
    checkCycles(doc, node.value, ancestors);
    return;
  }
  if (isMap(node) || isSeq(node)) {
    const inside = [...ancestors, node];
    for (const item of node.items) checkCycles(doc, item, inside);
  }
}
