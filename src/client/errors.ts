// Errors a client call can end with: the daemon's answer (status + message), or no daemon.

/** A non-2xx answer from the daemon; `message` is the body's `message` field (or its text). */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }

  /** The line docker prints for it. */
  override toString(): string {
    return `Error response from daemon: ${this.message}`;
  }
}

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.name = "ConnectionError";
    this.code = code;
  }
}

/** The daemon's error text from a response body: `{"message": …}` or plain text. */
export function errorMessageFromBody(body: string, status: number): string {
  const text = body.trim();
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === "string") return parsed.message;
    } catch {
      // not JSON after all: fall through to the text
    }
  }
  return text || `request returned ${status} with no error message`;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}
