// Volume names as Docker's local driver accepts them. The rule keeps every name a single path
// component: no "/", no "..", so <root>/<name>/_data can never point outside the volumes dir.
import { randomBytes } from "node:crypto";
import { InvalidParameterError } from "../errors.ts";

const validName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The label Docker 23+ puts on volumes created without a name (prune removes only those). */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";

export function checkVolumeName(name: string): void {
  if (name.length === 1) {
    throw new InvalidParameterError(
      `create ${name}: volume name is too short, names should be at least two alphanumeric characters`,
    );
  }
  if (!validName.test(name)) {
    throw new InvalidParameterError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

export function generatedVolumeName(): string {
  return randomBytes(32).toString("hex");
}
