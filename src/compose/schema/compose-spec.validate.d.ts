// Types of the generated compose-spec.validate.js (scripts/gen-compose-validator.ts).
import type { ErrorObject } from "ajv";

export interface ComposeSchemaValidate {
  (data: unknown): boolean;
  /** the errors of the last call, as ajv reports them (allErrors) */
  errors?: ErrorObject[] | null;
}

export declare const validate: ComposeSchemaValidate;
export default validate;
