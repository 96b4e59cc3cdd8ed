#!/usr/bin/env bash
# Installs every Debian and npm package that the build, training and tests need.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential make
  emscripten nodejs
  libstb-dev libxnnpack-dev libpthreadpool-dev
  clang-14 libclang-rt-14-dev
  wabt
  chromium
  python3-torch python3-torchvision python3-numpy python3-pil python3-sklearn python3-onnx
  webp
  poppler-utils
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt packages missing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: apt packages present"
fi

command -v npm >/dev/null || { echo "install-deps: npm not found (install Node.js 18+ with npm)"; exit 1; }

# npm dev tools are pinned in package.json / package-lock.json.
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --ignore-scripts
  else
    echo "install-deps: node_modules up to date"
  fi
fi
