// The precompiled compose-spec validator is checked in; it must be exactly what the generator
// makes from the vendored schema with the installed ajv, or validation silently uses a stale
// schema. Fix a failure with: node scripts/gen-compose-validator.ts
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { GENERATED, generateComposeValidator } from "../../../scripts/gen-compose-validator.ts";
import { validateComposeDocument } from "../../../src/compose/loader/validate.ts";

test("the checked-in compose-spec validator matches compose-spec.json", () => {
  const fresh = generateComposeValidator();
  const checkedIn = readFileSync(GENERATED, "utf8");
  assert.ok(
    fresh === checkedIn,
    "src/compose/schema/compose-spec.validate.js is stale: run node scripts/gen-compose-validator.ts",
  );
});

test("the precompiled validator still names file and key path", () => {
  assert.throws(
    () =>
      validateComposeDocument(
        { services: { web: { image: "x", ports: [{ target: 80, bogus: 1 }] } } },
        "a.yaml",
      ),
    { message: "validating a.yaml: services.web.ports.0 additional properties 'bogus' not allowed" },
  );
});
