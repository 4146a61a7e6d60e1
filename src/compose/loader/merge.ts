// Merging compose files (compose-spec "Merge and override"): mappings merge key by key, scalars
// are replaced, sequences are appended — except those the spec names: command, entrypoint and
// healthcheck.test are replaced; ports, volumes (by target), secrets and configs (by target),
// env_file and other lists of unique values are merged without duplicates. `!reset` removes an
// inherited value, `!override` replaces it whole.
import { Override, RESET } from "./yaml-file.ts";

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Override);

/** Removes the merge markers left in a value (a `!reset` with nothing under it is dropped). */
export function stripMarkers(v: unknown): unknown {
  if (v instanceof Override) return stripMarkers(v.value);
  if (Array.isArray(v)) return v.filter((x) => x !== RESET).map(stripMarkers);
  if (isDict(v)) {
    const out: Dict = {};
    for (const [k, val] of Object.entries(v)) if (val !== RESET) out[k] = stripMarkers(val);
    return out;
  }
  return v;
}

const keyed =
  (key: (x: Dict) => string) =>
  (base: unknown[], over: unknown[]): unknown[] => {
    const out = new Map<string, unknown>();
    for (const item of [...base, ...over]) out.set(isDict(item) ? key(item) : JSON.stringify(item), item);
    return [...out.values()];
  };

const unique = (base: unknown[], over: unknown[]): unknown[] => {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const item of [...base, ...over]) {
    const k = JSON.stringify(item);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(item);
    }
  }
  return out;
};

/** How each list-valued service key merges; keys not listed: replaced. */
const serviceListRules: Record<string, (base: unknown[], over: unknown[]) => unknown[]> = {
  ports: unique,
  volumes: keyed((v) => String(v.target)),
  secrets: keyed((v) => String(v.target)),
  configs: keyed((v) => String(v.target)),
  env_file: keyed((v) => String(v.path)),
  expose: unique,
  dns: unique,
  dns_search: unique,
  dns_opt: unique,
  tmpfs: unique,
  cap_add: unique,
  cap_drop: unique,
  extra_hosts: unique,
  links: unique,
  external_links: unique,
  volumes_from: unique,
  security_opt: unique,
  devices: unique,
  profiles: unique,
  group_add: unique,
  label_file: unique,
};

/** Merges nested mappings: scalars and lists replaced (healthcheck.test, aliases…). */
function mergeDeep(base: unknown, over: unknown): unknown {
  if (over === RESET) return undefined;
  if (over instanceof Override) return stripMarkers(over.value);
  if (isDict(base) && isDict(over)) {
    const out: Dict = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (v === null && isDict(base[k])) continue; // `key:` with no value keeps what was there
      const merged = mergeDeep(base[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return stripMarkers(over);
}

export function mergeService(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === RESET) {
      delete out[k];
      continue;
    }
    if (v instanceof Override) {
      out[k] = stripMarkers(v.value);
      continue;
    }
    const rule = serviceListRules[k];
    if (rule && Array.isArray(v) && Array.isArray(base[k]))
      out[k] = rule(base[k] as unknown[], stripMarkers(v) as unknown[]);
    else out[k] = mergeDeep(base[k], v);
  }
  return out;
}

const resourceKinds = ["networks", "volumes", "secrets", "configs", "models"];

/** Merges a later file's top-level mapping into an earlier one's. */
export function mergeFiles(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === "services") {
      const services: Dict = { ...(isDict(base.services) ? base.services : {}) };
      for (const [name, svc] of Object.entries(isDict(v) ? v : {})) {
        if (svc === RESET) delete services[name];
        else if (svc instanceof Override) services[name] = stripMarkers(svc.value);
        else
          services[name] = isDict(services[name])
            ? mergeService(services[name] as Dict, (svc ?? {}) as Dict)
            : stripMarkers(svc ?? {});
      }
      out.services = services;
    } else if (resourceKinds.includes(k)) {
      out[k] = mergeDeep(base[k] ?? {}, v ?? {});
    } else {
      const merged = mergeDeep(base[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}
