#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine that has Node 20 and npm: system packages the tests
# and reports use, pnpm, and the workspace's dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
# Debian packages: chromium renders and checks the HTML reports (no browser is ever downloaded);
# ffmpeg decodes and writes video; espeak-ng speaks the emoji-speech dataset; sox handles audio;
# Debian's Jupyter (always through /usr/bin/python3) runs the tslab notebooks headless;
# build-essential and libdnnl-dev (oneDNN) build @modalab/core's native kernels at install
# (without them modalab runs on wasm); python3-torch + libopenblas0-pthread: pnpm bench --vs-torch.
APT_PACKAGES=(chromium ffmpeg espeak-ng sox jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client build-essential libdnnl-dev python3-torch libopenblas0-pthread)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "modalab needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    say "need root or sudo to install: ${missing[*]}"; exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --silent
fi

# Native addons compiled by pnpm must use the system's Node headers (no header download).
export npm_config_nodedir=${npm_config_nodedir:-/usr}
say "installing workspace dependencies"
# The optional @tensorflow/tfjs-node(-gpu) downloads fail offline; the install still succeeds
# and modalab falls back to the wasm backend.
flags=()
[ -n "${CI:-}" ] && flags+=(--frozen-lockfile)
set +e
pnpm install "${flags[@]}" --reporter=append-only 2>&1 | grep -v 'tfjs-node.* install: '
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then say "pnpm install failed (exit $status)"; exit "$status"; fi
say "ready"
