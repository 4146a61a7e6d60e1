// A stage's build state and the instructions that only change the image config (ENV, LABEL,
// CMD, …): pure functions, so Docker's substitution and config rules are unit-tested here.
import type { ContainerConfig } from "../images/oci.ts";
import {
  DockerfileError,
  type Instruction,
  parseJsonOrShell,
  parseNameValues,
  splitKeepingQuotes,
} from "./dockerfile.ts";
import { type Env, expandWord, expandWords } from "./shell-lex.ts";

export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const defaultShell = ["/bin/sh", "-c"];

/** Build args any Dockerfile may use without declaring them (not kept in the image). */
export const predefinedArgs = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "FTP_PROXY",
  "ftp_proxy",
  "NO_PROXY",
  "no_proxy",
  "ALL_PROXY",
  "all_proxy",
];

export interface StageState {
  /** Current image ID; undefined while the stage is still `scratch` with no step committed. */
  imageId?: string;
  config: ContainerConfig;
  /** ARGs declared in this stage (in declaration order) with their values. */
  args: Map<string, string>;
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  escapeChar: string;
}

export function newState(
  config: ContainerConfig,
  imageId: string | undefined,
  escapeChar: string,
): StageState {
  const copy = structuredClone(config);
  if (!(copy.Env ?? []).some((e) => e.startsWith("PATH=")))
    copy.Env = [...(copy.Env ?? []), `PATH=${defaultPath}`];
  return { imageId, config: copy, args: new Map(), cmdSet: false, escapeChar };
}

export function shellOf(state: StageState): string[] {
  const shell = (state.config as ContainerConfig & { Shell?: string[] }).Shell;
  return shell && shell.length > 0 ? shell : defaultShell;
}

function envMap(list: string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of list ?? []) {
    const eq = kv.indexOf("=");
    out.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? "" : kv.slice(eq + 1));
  }
  return out;
}

/** Variables visible to substitution: ARGs in scope, then ENV (ENV wins, as in Docker). */
export function substitutionEnv(state: StageState): Env {
  const env = new Map(state.args);
  for (const [k, v] of envMap(state.config.Env)) env.set(k, v);
  return env;
}

/** The environment of a RUN: the image's Env plus ARGs not shadowed by it. */
export function runEnv(state: StageState): string[] {
  const env = [...(state.config.Env ?? [])];
  const names = envMap(state.config.Env);
  for (const [k, v] of state.args) if (!names.has(k)) env.push(`${k}=${v}`);
  return env;
}

/** Docker's `|N k=v …` prefix of a RUN's created_by when build args are in scope. */
export function argsPrefix(state: StageState): string[] {
  const names = envMap(state.config.Env);
  const list = [...state.args]
    .filter(([k]) => !names.has(k) && !predefinedArgs.includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  return list.length ? [`|${list.length}`, ...list] : [];
}

function setEnv(config: ContainerConfig, key: string, value: string): void {
  const next = [...(config.Env ?? [])];
  const i = next.findIndex((e) => e.split("=")[0] === key);
  if (i >= 0) next[i] = `${key}=${value}`;
  else next.push(`${key}=${value}`);
  config.Env = next;
}

/** The exec or shell form of CMD / ENTRYPOINT / RUN as the argv it stands for. */
export function commandOf(state: StageState, args: string): { argv: string[]; shellForm: boolean } {
  const parsed = parseJsonOrShell(args);
  if ("exec" in parsed) return { argv: parsed.exec, shellForm: false };
  return { argv: [...shellOf(state), parsed.shell], shellForm: true };
}

const goQuote = (list: string[]) => `[${list.map((s) => JSON.stringify(s)).join(" ")}]`;

function durationNs(value: string | null | undefined, flag: string): number {
  if (!value) return 0;
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(value);
  if (!m) throw new DockerfileError(`time: invalid duration "${value}" for --${flag}`);
  const unit = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as "s"];
  return Math.round(Number(m[1]) * unit);
}

/**
 * Applies a metadata-only instruction; returns the history comment (created_by without the
 * shell prefix), or undefined when `ins` is not metadata-only.
 */
export function applyMetadata(
  state: StageState,
  ins: Instruction,
  buildArgs: ReadonlyMap<string, string>,
  metaArgs: ReadonlyMap<string, string>,
  usedArgs: Set<string>,
): string | undefined {
  const c = state.config;
  const env = () => substitutionEnv(state);
  const esc = state.escapeChar;
  switch (ins.keyword) {
    case "ENV": {
      const parts: string[] = [];
      for (const [k, v] of parseNameValues("ENV", ins.args, esc)) {
        const key = expandWord(k, env(), esc);
        const value = expandWord(v, env(), esc);
        setEnv(c, key, value);
        parts.push(`${key}=${value}`);
      }
      return `ENV ${parts.join(" ")}`;
    }
    case "LABEL": {
      const parts: string[] = [];
      for (const [k, v] of parseNameValues("LABEL", ins.args, esc)) {
        const key = expandWord(k, env(), esc);
        const value = expandWord(v, env(), esc);
        c.Labels = { ...(c.Labels ?? {}), [key]: value };
        parts.push(`${key}=${value}`);
      }
      return `LABEL ${parts.join(" ")}`;
    }
    case "ARG": {
      const parts: string[] = [];
      for (const word of splitKeepingQuotes(ins.args, esc)) {
        const eq = word.indexOf("=");
        const name = eq < 0 ? word : word.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new DockerfileError(`invalid ARG name: ${name}`);
        let value: string | undefined =
          eq < 0 ? metaArgs.get(name) : expandWord(word.slice(eq + 1), env(), esc);
        if (buildArgs.has(name)) {
          value = buildArgs.get(name);
          usedArgs.add(name);
        }
        if (value !== undefined) state.args.set(name, value);
        else state.args.delete(name);
        parts.push(value === undefined ? name : `${name}=${value}`);
      }
      return `ARG ${parts.join(" ")}`;
    }
    case "CMD": {
      c.Cmd = commandOf(state, ins.args).argv;
      state.cmdSet = true;
      return `CMD ${goQuote(c.Cmd)}`;
    }
    case "ENTRYPOINT": {
      const parsed = parseJsonOrShell(ins.args);
      c.Entrypoint = "exec" in parsed ? parsed.exec : [...shellOf(state), parsed.shell];
      if (!state.cmdSet) c.Cmd = null;
      return `ENTRYPOINT ${goQuote(c.Entrypoint)}`;
    }
    case "EXPOSE": {
      const ports: string[] = [];
      const words = expandWords(ins.args, env(), esc);
      for (const word of words) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
        if (!m) throw new DockerfileError(`Invalid containerPort: ${word}`);
        const proto = (m[3] ?? "tcp").toLowerCase();
        const first = Number(m[1]);
        const last = m[2] ? Number(m[2]) : first;
        for (let p = first; p <= last; p++) {
          ports.push(`${p}/${proto}`);
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}), [`${p}/${proto}`]: {} };
        }
      }
      return `EXPOSE ${[...words].sort().join(" ")}`;
    }
    case "USER": {
      c.User = expandWord(ins.args, env(), esc);
      return `USER ${c.User}`;
    }
    case "WORKDIR": {
      const dir = expandWord(ins.args, env(), esc);
      c.WorkingDir = dir.startsWith("/") ? dir : `${(c.WorkingDir || "/").replace(/\/$/, "")}/${dir}`;
      return `WORKDIR ${c.WorkingDir}`;
    }
    case "VOLUME": {
      const parsed = parseJsonOrShell(ins.args);
      const list = ("exec" in parsed ? parsed.exec : splitKeepingQuotes(parsed.shell, esc)).map((v) =>
        expandWord(v, env(), esc),
      );
      for (const v of list) {
        if (v.trim() === "") throw new DockerfileError("VOLUME specified can not be an empty string");
        c.Volumes = { ...(c.Volumes ?? {}), [v]: {} };
      }
      return `VOLUME [${list.join(" ")}]`;
    }
    case "STOPSIGNAL": {
      c.StopSignal = expandWord(ins.args, env(), esc);
      return `STOPSIGNAL ${c.StopSignal}`;
    }
    case "SHELL": {
      const parsed = parseJsonOrShell(ins.args);
      if (!("exec" in parsed)) throw new DockerfileError("SHELL requires the arguments to be in JSON form");
      (c as ContainerConfig & { Shell?: string[] }).Shell = parsed.exec;
      return `SHELL [${parsed.exec.join(" ")}]`;
    }
    case "MAINTAINER": {
      return `MAINTAINER ${ins.args}`;
    }
    case "ONBUILD": {
      const trigger = ins.args.trim();
      const keyword = (trigger.split(/\s+/)[0] ?? "").toUpperCase();
      if (keyword === "ONBUILD")
        throw new DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (keyword === "FROM" || keyword === "MAINTAINER")
        throw new DockerfileError(`${keyword} isn't allowed as an ONBUILD trigger`);
      c.OnBuild = [...(c.OnBuild ?? []), trigger];
      return `ONBUILD ${trigger}`;
    }
    case "HEALTHCHECK": {
      const words = ins.args.trim();
      const kind = (words.split(/\s+/)[0] ?? "").toUpperCase();
      if (kind === "NONE") {
        c.Healthcheck = { Test: ["NONE"] };
      } else if (kind === "CMD") {
        const rest = words.slice(3).trim();
        const parsed = parseJsonOrShell(rest);
        const test = "exec" in parsed ? ["CMD", ...parsed.exec] : ["CMD-SHELL", parsed.shell];
        const retries = ins.flags.get("retries");
        c.Healthcheck = {
          Test: test,
          Interval: durationNs(ins.flags.get("interval"), "interval"),
          Timeout: durationNs(ins.flags.get("timeout"), "timeout"),
          StartPeriod: durationNs(ins.flags.get("start-period"), "start-period"),
          Retries: retries ? Number(retries) : 0,
        };
        if (!c.Healthcheck.Interval) delete c.Healthcheck.Interval;
        if (!c.Healthcheck.Timeout) delete c.Healthcheck.Timeout;
        if (!c.Healthcheck.StartPeriod) delete c.Healthcheck.StartPeriod;
        if (!c.Healthcheck.Retries) delete c.Healthcheck.Retries;
      } else {
        throw new DockerfileError(`Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
      }
      return `HEALTHCHECK &{${goQuote(c.Healthcheck.Test ?? [])}}`;
    }
    default:
      return undefined;
  }
}
