// Validation against the Compose Specification's JSON schema (vendored in ../schema/), with
// errors named as docker compose names them: "validating <file>: services.web.ports.0 …".
import type { ErrorObject } from "ajv";
// Precompiled by scripts/gen-compose-validator.ts: compiling the schema with ajv at run time
// cost 0.2–0.6 s on every compose command.
import { validate as validateSchema } from "../schema/compose-spec.validate.js";

export class ValidationError extends Error {}

const keyPath = (instancePath: string) =>
  instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .join(".");

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function valueAt(data: unknown, instancePath: string): unknown {
  let cur = data;
  for (const part of instancePath.split("/").slice(1)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return cur;
}

/** One line for one schema error. */
function describe(e: ErrorObject, data: unknown): string {
  const path = keyPath(e.instancePath);
  const at = path === "" ? "" : `${path} `;
  switch (e.keyword) {
    case "additionalProperties":
      return `${at}additional properties '${(e.params as { additionalProperty: string }).additionalProperty}' not allowed`;
    case "type": {
      const want = (e.params as { type: string | string[] }).type;
      return `${at}must be a ${Array.isArray(want) ? want.join(" or ") : want}`;
    }
    case "enum":
      return `${at}must be one of the following: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    case "required":
      return `${at}missing property '${(e.params as { missingProperty: string }).missingProperty}'`;
    case "uniqueItems":
      return `${at}must contain unique items (${JSON.stringify(valueAt(data, e.instancePath))})`;
    case "pattern":
      return `${at}does not match pattern ${(e.params as { pattern: string }).pattern}`;
    default:
      return `${at}${e.message ?? "is invalid"}`;
  }
}

/**
 * The most useful error: inside a oneOf, ajv reports every branch; keep the errors of the
 * branch whose type matches the value (or the deepest one) instead of "must match one schema".
 */
function pickError(errors: ErrorObject[], data: unknown): ErrorObject {
  const concrete = errors.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf" && e.keyword !== "if");
  const pool = concrete.length > 0 ? concrete : errors;
  const deepest = Math.max(...pool.map((e) => e.instancePath.split("/").length));
  const deep = pool.filter((e) => e.instancePath.split("/").length === deepest);
  // A "type" error at the deepest level only matters when no branch accepted the type.
  const nonType = deep.filter((e) => e.keyword !== "type");
  if (nonType.length > 0) return nonType[0] as ErrorObject;
  const first = deep[0] as ErrorObject;
  const actual = typeOf(valueAt(data, first.instancePath));
  const wanted = deep.flatMap((e) => {
    const t = (e.params as { type?: string | string[] }).type;
    return t === undefined ? [] : Array.isArray(t) ? t : [t];
  });
  return { ...first, params: { type: [...new Set(wanted)] }, message: `is ${actual}` };
}

/** Throws "validating <file>: <key path> <problem>" when the document breaks the schema. */
export function validateComposeDocument(data: unknown, file: string): void {
  if (validateSchema(data)) return;
  const errors = validateSchema.errors ?? [];
  if (errors.length === 0) throw new ValidationError(`validating ${file}: invalid compose file`);
  throw new ValidationError(`validating ${file}: ${describe(pickError(errors, data), data)}`);
}
