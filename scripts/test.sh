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

# Docker itself against wharf's registry: a reference dockerd (Debian's docker.io, on its own
# socket, data root and bridge; see bench/docker-reference.sh) pushes to and pulls from it.
# It stays up for the whole run (compat tests move images between it and wharfd) and is
# stopped on exit, also after a failure.
echo "== docker push/pull against wharf's registry (reference dockerd)"
if bash bench/docker-reference.sh install && bash bench/docker-reference.sh start; then
  trap 'bash bench/docker-reference.sh stop' EXIT
  # Bounded like the main run below: a hung file here would otherwise eat CI's whole time limit.
  DOCKER_HOST=unix:///run/wharf-bench/docker.sock timeout --kill-after=30 1200 \
    node --disable-warning=ExperimentalWarning --test --test-timeout=300000 \
    test/compat/registry/docker.test.ts
else
  echo "reference dockerd unavailable: docker push/pull check skipped"
fi

shopt -s globstar nullglob
files=(test/unit/**/*.test.ts test/integration/**/*.test.ts test/compat/**/*.test.ts)
echo "== tests (${#files[@]} files)"
node --disable-warning=ExperimentalWarning --test --test-concurrency=2 --test-timeout=300000 \
  --test-reporter=spec "${files[@]}" &
runner=$!
# A hung test file (a child process or socket left open keeps it alive after its timeouts)
# must fail the run with its name, not eat CI's whole time limit. The suite takes ~6 minutes.
limit=${WHARF_TEST_LIMIT_SECONDS:-2400}
(
  sleep "$limit"
  echo "== the tests ran over ${limit}s; still running:" >&2
  ps -eo pid,etimes,args | grep -E '\.test\.ts|wharfd|conmon|compose' | grep -v grep | cut -c1-240 >&2
  kill -INT "$runner" 2>/dev/null; sleep 30; kill -KILL "$runner" 2>/dev/null
) &
watchdog=$!
status=0
wait "$runner" || status=$?
# The watchdog first (killing its sleep first would make it print "Terminated"), then its sleep.
sleeper=$(pgrep -P "$watchdog" || true)
kill "$watchdog" 2>/dev/null || true
[ -n "$sleeper" ] && kill $sleeper 2>/dev/null || true
exit "$status"
