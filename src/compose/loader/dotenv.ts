// .env files as compose reads them (compose-go's dotenv, a godotenv dialect): KEY=VALUE and
// `export KEY=VALUE` lines, '#' comments, single quotes literal, double quotes with escapes and
// ${VAR} interpolation, unquoted values trimmed and cut at " #". A bare KEY takes its value from
// the lookup (and is left out when the lookup has none).
import { readFileSync } from "node:fs";
import { interpolateString, type Lookup } from "./interpolate.ts";

export class DotEnvError extends Error {}

const doubleQuoteEscapes: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  '"': '"',
  "\\": "\\",
  $: "$",
};

/** Parses .env text; `lookup` resolves ${VAR} references (earlier keys of the file win over it). */
export function parseDotEnv(
  text: string,
  lookup: Lookup = () => undefined,
  file = ".env",
): Record<string, string> {
  const out: Record<string, string> = {};
  const resolve: Lookup = (name) => (name in out ? out[name] : lookup(name));
  const src = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  let i = 0;
  let line = 1;
  const fail = (msg: string) => new DotEnvError(`failed to read ${file}: line ${line}: ${msg}`);
  while (i < src.length) {
    // skip blank space and comment lines
    const rest = src.slice(i);
    const blank = /^[ \t]*(#[^\n]*)?\n/.exec(rest);
    if (blank) {
      i += blank[0].length;
      line++;
      continue;
    }
    if (/^[ \t]*(#[^\n]*)?$/.test(rest)) break;
    const head = /^[ \t]*(?:export[ \t]+)?([A-Za-z_.][A-Za-z0-9_.\-[\]]*)[ \t]*([=:]?)[ \t]*/.exec(rest);
    if (!head) throw fail(`unexpected character ${JSON.stringify(rest[0])} in variable name`);
    const key = head[1] as string;
    i += head[0].length;
    if (head[2] === "") {
      // bare KEY: value from the environment
      const eol = src.indexOf("\n", i);
      const tail = src.slice(i, eol < 0 ? src.length : eol).trim();
      if (tail !== "" && !tail.startsWith("#"))
        throw fail(`unexpected character in variable name ${JSON.stringify(key + tail)}`);
      const v = lookup(key);
      if (v !== undefined) out[key] = v;
      i = eol < 0 ? src.length : eol + 1;
      line++;
      continue;
    }
    const q = src[i];
    let value: string;
    if (q === "'" || q === '"') {
      let j = i + 1;
      let raw = "";
      while (j < src.length && src[j] !== q) {
        if (q === '"' && src[j] === "\\" && j + 1 < src.length) {
          const e = src[j + 1] as string;
          raw += e in doubleQuoteEscapes ? (e === "$" ? "$$" : doubleQuoteEscapes[e]) : `\\${e}`;
          j += 2;
          continue;
        }
        if (src[j] === "\n") line++;
        raw += src[j];
        j++;
      }
      if (j >= src.length) throw fail(`unterminated quoted value`);
      value = q === '"' ? interpolateString(raw, resolve) : raw;
      i = j + 1;
      const eol = src.indexOf("\n", i);
      const tail = src.slice(i, eol < 0 ? src.length : eol).trim();
      if (tail !== "" && !tail.startsWith("#"))
        throw fail(`unexpected text after quoted value: ${JSON.stringify(tail)}`);
      i = eol < 0 ? src.length : eol + 1;
    } else {
      const eol = src.indexOf("\n", i);
      let raw = src.slice(i, eol < 0 ? src.length : eol);
      const comment = raw.search(/[ \t]#/);
      if (comment >= 0) raw = raw.slice(0, comment);
      value = interpolateString(raw.trim(), resolve);
      i = eol < 0 ? src.length : eol + 1;
    }
    out[key] = value;
    line++;
  }
  return out;
}

export function readDotEnvFile(path: string, lookup: Lookup = () => undefined): Record<string, string> {
  return parseDotEnv(readFileSync(path, "utf8"), lookup, path);
}
