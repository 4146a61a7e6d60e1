// Reads one compose file's YAML: anchors, aliases and `<<` merge keys resolved, and the
// compose-spec merge tags kept as markers for the merge step: `!reset` (drop the value
// inherited from earlier files) and `!override` (replace it instead of merging).
import { isNode, parseDocument, Scalar, type ScalarTag, visit } from "yaml";

/** A value tagged `!reset`. */
export const RESET = Symbol("compose !reset");

/** A value tagged `!override`. */
export class Override {
  readonly value: unknown;
  constructor(value: unknown) {
    this.value = value;
  }
}

export class ComposeFileError extends Error {}

/**
 * `0440` is octal, as in docker compose's YAML reader (go-yaml parses integers with base
 * prefixes, a leading 0 included); YAML 1.2 alone would read it as decimal 440. File modes of
 * secrets and configs are written this way.
 */
const leadingZeroOctal: ScalarTag = {
  identify: () => false,
  default: true,
  tag: "tag:yaml.org,2002:int",
  test: /^0[0-7]+$/,
  resolve: (text: string) => Number.parseInt(text, 8),
};

/** Parses YAML text into plain data; errors name the file, line and column. */
export function parseComposeYaml(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text, {
    merge: true,
    uniqueKeys: true,
    prettyErrors: true,
    customTags: (tags) => [leadingZeroOctal, ...tags],
  });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e?.linePos?.[0];
    const where = pos ? ` line ${pos.line}, column ${pos.col}` : "";
    const text = (e?.message.split("\n")[0] ?? "invalid YAML").replace(/ at line \d+, column \d+:?$/, "");
    throw new ComposeFileError(`yaml: ${file}:${where}: ${text}`);
  }
  visit(doc, {
    Node(_key, node) {
      if (!isNode(node)) return undefined;
      if (node.tag === "!reset") return new Scalar(RESET);
      if (node.tag === "!override") {
        node.tag = undefined;
        return new Scalar(new Override(node.toJS(doc, { maxAliasCount: 10000 })));
      }
      return undefined;
    },
  });
  const data: unknown = doc.toJS({ maxAliasCount: 10000 });
  if (data === null || data === undefined) throw new ComposeFileError(`empty compose file: ${file}`);
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ComposeFileError(`${file}: top-level object must be a mapping`);
  }
  return data as Record<string, unknown>;
}
