// Engine error kinds; the API layer maps each to Docker's HTTP status.
export class EngineError extends Error {
  readonly status: number = 500;
}
export class NotFoundError extends EngineError {
  override readonly status = 404;
}
export class ConflictError extends EngineError {
  override readonly status = 409;
}
export class InvalidParameterError extends EngineError {
  override readonly status = 400;
}
export class NotModifiedError extends EngineError {
  override readonly status = 304;
}
export class NotImplementedError extends EngineError {
  override readonly status = 501;
}
