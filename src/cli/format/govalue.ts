// How JSON-shaped JavaScript values stand in for Go values in templates and fmt:
// undefined = Go's invalid reflect.Value (a missing map key), null = nil, an integral number = int,
// any other number = float64, an array = []interface{}, an object = map[string]interface{},
// a function = a method (called with the template's arguments).

export type GoKind = "invalid" | "nil" | "bool" | "int" | "float" | "string" | "slice" | "map" | "func";

export function kindOf(v: unknown): GoKind {
  switch (typeof v) {
    case "undefined":
      return "invalid";
    case "boolean":
      return "bool";
    case "number":
      // Beyond 2^53 a JSON number was a float in Go too (or lost its precision anyway).
      return Number.isSafeInteger(v) ? "int" : "float";
    case "bigint":
      return "int";
    case "string":
      return "string";
    case "function":
      return "func";
    default:
      if (v === null) return "nil";
      return Array.isArray(v) ? "slice" : "map";
  }
}

export function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case "bool":
      return "bool";
    case "int":
      return "int";
    case "float":
      return "float64";
    case "string":
      return "string";
    case "slice":
      return "[]interface {}";
    case "map":
      return "map[string]interface {}";
    case "func":
      return "func()";
    default:
      return "<nil>";
  }
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return kindOf(v) === "map";
}

/** A map's keys in Go's order for printing and ranging: sorted. */
export function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m)
    .filter((k) => typeof m[k] !== "function")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** text/template's truth: false, 0, nil and empty strings, slices and maps are false. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case "invalid":
    case "nil":
      return false;
    case "bool":
      return v as boolean;
    case "int":
    case "float":
      return v !== 0 && v !== 0n;
    case "string":
      return (v as string).length > 0;
    case "slice":
      return (v as unknown[]).length > 0;
    case "map":
      return sortedKeys(v as Record<string, unknown>).length > 0;
    default:
      return true;
  }
}

/** Go's len() of a string counts UTF-8 bytes. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}
