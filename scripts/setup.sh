#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install everything, start wharfd with its
# embedded defaults, make the offline busybox base image, and run a container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

sock=/run/wharf/wharf.sock
if ! curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
  echo "setup: starting wharfd (log: /var/log/wharfd.log)"
  nohup bin/wharfd >>/var/log/wharfd.log 2>&1 &
  for _ in $(seq 1 100); do
    curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null || { echo "setup: wharfd did not start; see /var/log/wharfd.log" >&2; exit 1; }

bin/wharf image inspect busybox >/dev/null 2>&1 || bin/wharf image bootstrap busybox
bin/wharf run --rm busybox echo hello from wharf
