// Repository names and tags as the OCI Distribution Spec constrains them.
import { RegistryError } from "./errors.ts";

const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Clients limit "host[:port]/name" to 255 characters; names alone must stay below 256. */
export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function assertRepositoryName(name: string): void {
  if (!isValidRepositoryName(name)) {
    throw new RegistryError("NAME_INVALID", `invalid repository name: ${name.slice(0, 300)}`);
  }
}

export function assertTag(tag: string): void {
  if (!isValidTag(tag)) throw new RegistryError("TAG_INVALID", `invalid tag: ${tag.slice(0, 200)}`);
}
