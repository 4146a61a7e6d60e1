// Errors from talking to a registry, with the status the Engine API answers and the text
// Docker prints. Registry error bodies ({"errors":[{code,message}]}) read as distribution's
// errcode does: "manifest unknown: manifest unknown".

export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** An error the daemon maps to an HTTP status (and a stream's errorDetail once streaming). */
export class DistributionError extends Error {
  readonly status: number;

  constructor(message: string, status = 500) {
    super(message);
    this.status = status;
  }
}

/** A registry answered with an error status. */
export class RegistryResponseError extends DistributionError {
  readonly httpStatus: number;
  readonly errors: RegistryErrorEntry[];

  constructor(httpStatus: number, errors: RegistryErrorEntry[], fallback: string) {
    // Docker answers 404 for what the registry does not have, 500 for the rest (even a 401).
    super(errors.length > 0 ? errcodeText(errors) : fallback, httpStatus === 404 ? 404 : 500);
    this.httpStatus = httpStatus;
    this.errors = errors;
  }

  hasCode(...codes: string[]): boolean {
    return this.errors.some((e) => codes.includes(e.code));
  }
}

/** The registry could not be reached or the connection broke (worth retrying). */
export class NetworkError extends DistributionError {}

export class DigestVerificationError extends DistributionError {
  constructor(message: string) {
    super(message, 500);
  }
}

/** errcode.Error.Error(): "<code, lower case, spaces>: <message>". */
function entryText(e: RegistryErrorEntry): string {
  const code = e.code.toLowerCase().replaceAll("_", " ");
  return `${code}: ${e.message ?? code}`;
}

/** errcode.Errors.Error(): one error alone, or "errors:\n" and one per line. */
export function errcodeText(errors: RegistryErrorEntry[]): string {
  if (errors.length === 1) return entryText(errors[0] as RegistryErrorEntry);
  return `errors:\n${errors.map((e) => `${entryText(e)}\n`).join("")}`;
}

/** Reads a registry error body; anything that is not the JSON shape yields no entries. */
export function parseErrorBody(body: string): RegistryErrorEntry[] {
  try {
    const json = JSON.parse(body) as { errors?: unknown; details?: unknown };
    if (Array.isArray(json.errors)) {
      return json.errors
        .filter((e): e is RegistryErrorEntry => !!e && typeof (e as RegistryErrorEntry).code === "string")
        .map((e) => ({ code: e.code, message: e.message, detail: e.detail }));
    }
  } catch {
    // not JSON
  }
  return [];
}
