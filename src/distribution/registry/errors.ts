// Registry errors in the shape the OCI Distribution Spec (and Docker's registry API before it)
// defines: {"errors":[{"code","message","detail"}]} with a fixed HTTP status per code.

export type RegistryErrorCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  // Docker registry API codes that clients still understand.
  | "TAG_INVALID"
  | "PAGINATION_NUMBER_INVALID"
  | "UNKNOWN";

const DEFAULTS: Record<RegistryErrorCode, { status: number; message: string }> = {
  BLOB_UNKNOWN: { status: 404, message: "blob unknown to registry" },
  BLOB_UPLOAD_INVALID: { status: 400, message: "blob upload invalid" },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: "blob upload unknown to registry" },
  DIGEST_INVALID: { status: 400, message: "provided digest did not match uploaded content" },
  MANIFEST_BLOB_UNKNOWN: {
    status: 400,
    message: "manifest references a manifest or blob unknown to registry",
  },
  MANIFEST_INVALID: { status: 400, message: "manifest invalid" },
  MANIFEST_UNKNOWN: { status: 404, message: "manifest unknown to registry" },
  NAME_INVALID: { status: 400, message: "invalid repository name" },
  NAME_UNKNOWN: { status: 404, message: "repository name not known to registry" },
  SIZE_INVALID: { status: 400, message: "provided length did not match content length" },
  UNAUTHORIZED: { status: 401, message: "authentication required" },
  DENIED: { status: 403, message: "requested access to the resource is denied" },
  UNSUPPORTED: { status: 405, message: "the operation is unsupported" },
  TOOMANYREQUESTS: { status: 429, message: "too many requests" },
  TAG_INVALID: { status: 400, message: "manifest tag did not match URI" },
  PAGINATION_NUMBER_INVALID: { status: 400, message: "invalid number of results requested" },
  UNKNOWN: { status: 500, message: "unknown error" },
};

export interface RegistryErrorOptions {
  status?: number;
  detail?: unknown;
  headers?: Record<string, string>;
}

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(code: RegistryErrorCode, message?: string, options: RegistryErrorOptions = {}) {
    super(message ?? DEFAULTS[code].message);
    this.name = "RegistryError";
    this.code = code;
    this.status = options.status ?? DEFAULTS[code].status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}

/** Several errors reported in one response (e.g. every missing blob of a manifest). */
export class RegistryErrors extends Error {
  readonly errors: RegistryError[];
  readonly status: number;

  constructor(errors: RegistryError[]) {
    super(errors.map((e) => e.message).join("; "));
    this.name = "RegistryErrors";
    this.errors = errors;
    this.status = errors[0]?.status ?? 500;
  }
}

export function errorBody(errors: RegistryError[]): string {
  return JSON.stringify({
    errors: errors.map((e) => ({
      code: e.code,
      message: e.message,
      ...(e.detail === undefined ? {} : { detail: e.detail }),
    })),
  });
}
