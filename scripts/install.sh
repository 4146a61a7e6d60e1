#!/usr/bin/env bash
# Installs everything wharf needs on a fresh Debian 12 machine: system packages, the pinned Node
# and npm dependencies, and the `wharf`/`wharfd` launchers in /usr/local/bin. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(runc crun conmon iptables iproute2 containernetworking-plugins busybox-static tini skopeo docker-registry attr curl procps util-linux docker-compose socat python3 python3-docker)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install: apt packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/node/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

for b in wharf wharfd; do ln -sf "$PWD/bin/$b" "/usr/local/bin/$b"; done

# Type-stripped build for fast start-up (the launchers fall back to src/ whenever it is stale).
node_modules/node/bin/node --disable-warning=ExperimentalWarning scripts/build.ts
