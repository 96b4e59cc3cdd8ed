#!/usr/bin/env bash
# The first command on a fresh clone may be `make test` or `make serve`: both must run the dependency
# install before they compile anything. A dry run of each target with every file taken as out of date
# (-B) lists the commands in the order make would run them; the install must come before the first
# compiler, node or python command.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
for target in test serve; do
  cmds=$(make -nB "$target" 2>/dev/null | grep -vE '^\s*(#|echo|mkdir|@|$)' || true)
  install=$(printf '%s\n' "$cmds" | grep -n 'scripts/install-deps.sh' | head -1 | cut -d: -f1 || true)
  build=$(printf '%s\n' "$cmds" | grep -nE '^(gcc|clang|emcc|node|/usr/bin/python3|bash scripts/(web|fuzz)|ln) ' | head -1 | cut -d: -f1 || true)
  if [ -z "$install" ]; then
    echo "FAIL: make $target never runs scripts/install-deps.sh"; fail=1
  elif [ -n "$build" ] && [ "$install" -gt "$build" ]; then
    echo "FAIL: make $target compiles before it installs (command $build: $(printf '%s\n' "$cmds" | sed -n "${build}p" | cut -c1-80))"; fail=1
  else
    echo "ok: make $target runs scripts/install-deps.sh first (command $install of $(printf '%s\n' "$cmds" | wc -l))"
  fi
done
# The install script must name every package the build uses directly.
for pkg in emscripten libstb-dev libxnnpack-dev chromium python3-torch clang-14; do
  grep -q "\b$pkg\b" scripts/install-deps.sh || { echo "FAIL: scripts/install-deps.sh does not install $pkg"; fail=1; }
done
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
