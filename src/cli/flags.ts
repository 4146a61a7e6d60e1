// A docker-style (spf13/pflag) command-line parser: `-it` clusters, `-p8080:80` and `-p 8080:80`,
// `--name=x` and `--name x`, repeatable flags, `--` ending the flags, and (for run/create/exec)
// flags stopping at the first positional so the container's command keeps its own flags.

export interface FlagSpec {
  /** Long name, without dashes. */
  name: string;
  /** One-letter shorthand. */
  short?: string;
  /** The value's type as help shows it ("string", "list", "int", "bytes"…); absent for booleans. */
  type?: string;
  usage: string;
  /** The default as help shows it; strings are quoted by the help renderer. */
  default?: string;
  hidden?: boolean;
  /** Checks one value when parsed; a thrown Error's message becomes docker's "invalid argument" error. */
  validate?: (value: string) => void;
}

/** A usage error caught while parsing flags: docker exits 125 and shows the usage line. */
export class FlagError extends Error {}

/** strconv.ParseBool */
export function parseGoBool(value: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

/** strconv.ParseInt(value, 0, 64) as pflag's int flags use it. */
export function parseGoInt(value: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[0-9_]+)$/.exec(value);
  const syntax = () => new Error(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  if (!m) throw syntax();
  const digits = (m[2] as string).replaceAll("_", "");
  let n: number;
  if (/^0[xX]/.test(digits)) n = Number.parseInt(digits.slice(2), 16);
  else if (/^0[bB]/.test(digits)) n = Number.parseInt(digits.slice(2), 2);
  else if (/^0[oO]/.test(digits)) n = Number.parseInt(digits.slice(2), 8);
  else if (digits.length > 1 && digits.startsWith("0")) n = Number.parseInt(digits.slice(1), 8);
  else n = Number.parseInt(digits, 10);
  if (Number.isNaN(n)) throw syntax();
  return m[1] === "-" ? -n : n;
}

export const isBoolFlag = (spec: FlagSpec): boolean => spec.type === undefined;

/** How a flag is named in errors: "-m, --memory" or "--cpus". */
export function flagDisplayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/** The values given for each flag, in command-line order. */
export class ParsedFlags {
  private readonly values = new Map<string, string[]>();

  add(name: string, value: string): void {
    const list = this.values.get(name);
    if (list) list.push(value);
    else this.values.set(name, [value]);
  }

  /** Whether the flag appeared on the command line. */
  changed(name: string): boolean {
    return this.values.has(name);
  }

  bool(name: string): boolean {
    const list = this.values.get(name);
    return list ? parseGoBool(list[list.length - 1] as string) : false;
  }

  /** The last value given (pflag keeps the last one for scalar flags). */
  string(name: string): string | undefined {
    const list = this.values.get(name);
    return list ? list[list.length - 1] : undefined;
  }

  /** Every value given, for repeatable flags. */
  list(name: string): string[] {
    return [...(this.values.get(name) ?? [])];
  }

  int(name: string): number | undefined {
    const v = this.string(name);
    return v === undefined ? undefined : parseGoInt(v);
  }
}

export interface ParseOptions {
  /** false: the first positional ends the flags (docker run/create/exec). */
  interspersed?: boolean;
}

export interface ParseResult {
  flags: ParsedFlags;
  args: string[];
}

function checkValue(spec: FlagSpec, value: string): void {
  try {
    if (isBoolFlag(spec)) parseGoBool(value);
    else spec.validate?.(value);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new FlagError(
      `invalid argument ${JSON.stringify(value)} for "${flagDisplayName(spec)}" flag: ${why}`,
    );
  }
}

/** Parses argv against the flag specs, pflag's way. */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  opts: ParseOptions = {},
): ParseResult {
  const interspersed = opts.interspersed ?? true;
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags = new ParsedFlags();
  const args: string[] = [];
  const set = (spec: FlagSpec, value: string) => {
    checkValue(spec, value);
    flags.add(spec.name, value);
  };

  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++] as string;
    if (arg === "--") {
      args.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      args.push(arg);
      if (!interspersed) {
        args.push(...argv.slice(i));
        break;
      }
      continue;
    }
    if (arg.startsWith("--")) {
      const body = arg.slice(2);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, body.slice(eq + 1));
      else if (isBoolFlag(spec)) set(spec, "true");
      else if (i < argv.length) set(spec, argv[i++] as string);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // A shorthand cluster: -it, -p8080:80, -d=false
    let rest = arg.slice(1);
    while (rest.length > 0) {
      const c = rest[0] as string;
      const spec = byShort.get(c);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in ${arg}`);
      rest = rest.slice(1);
      if (isBoolFlag(spec)) {
        if (rest.startsWith("=")) {
          set(spec, rest.slice(1));
          rest = "";
        } else {
          set(spec, "true");
        }
      } else if (rest.length > 0) {
        set(spec, rest.startsWith("=") ? rest.slice(1) : rest);
        rest = "";
      } else if (i < argv.length) {
        set(spec, argv[i++] as string);
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in ${arg}`);
      }
    }
  }
  return { flags, args };
}
