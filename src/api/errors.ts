// Maps thrown errors to Docker's `{"message": …}` responses with Docker's status codes.
import { EngineError } from "../engine/errors.ts";
import { FilterError } from "../util/filters.ts";

export function errorStatus(err: unknown): number {
  if (err instanceof EngineError) return err.status;
  if (err instanceof FilterError) return 400;
  if (err && typeof err === "object" && "status" in err && typeof err.status === "number") return err.status;
  return 500;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
