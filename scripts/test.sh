#!/usr/bin/env bash
# The project's test command (README, .ci/run): type-check, lint, then unit, integration and
# compat tests on the pinned Node. Integration and compat tests start their own wharfd on temp
# data roots; compat tests use real clients (docker CLI, skopeo, dockerode).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== typecheck"; tsc --noEmit -p .
echo "== lint"; biome check .

shopt -s globstar nullglob
files=(test/unit/**/*.test.ts test/integration/**/*.test.ts test/compat/**/*.test.ts)
echo "== tests (${#files[@]} files)"
node --disable-warning=ExperimentalWarning --test --test-concurrency=2 --test-timeout=300000 \
  --test-reporter=spec "${files[@]}"
