#!/usr/bin/env bash
# make bench: kernel and whole-model benchmarks of the shipped model, printed and appended to
# docs/benchmarks.md with the date, machine and command.
set -euo pipefail
cd "$(dirname "$0")/../.."
export NODE_PATH=/usr/share/nodejs
MODEL=${MODEL:-models/bloodcell.bin}
[ -f "$MODEL" ] || { echo "bench: $MODEL not found (train and export first, or MODEL=tests/fixtures/random-model.bin)"; exit 2; }
IMAGE=${IMAGE:-$(ls tests/fixtures/images/*.jpg | head -1)}
mkdir -p build/wasm build/native docs
emcc -std=c99 -O3 -msimd128 scripts/bench/peak_wasm.c -sENVIRONMENT=node -sMODULARIZE -sSINGLE_FILE \
  -sEXPORTED_FUNCTIONS=_bc_peak_dot -o build/wasm/peak.cjs
gcc -std=c99 -O2 -Wall -Wextra -Isrc -DBC_WITH_XNNPACK scripts/bench/bench_native.c src/engine.c src/model.c src/ops.c \
  src/preprocess.c src/frame.c src/bc_status.c src/kernels/select.c src/kernels/*/*scalar.c build/native/stb_image.o \
  -lXNNPACK -lpthreadpool -lm -lpthread -o build/native/bench_native
out=$(mktemp)
{
  echo "## $(date -u +%Y-%m-%d) — make bench"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; node $(node --version); $(emcc --version | head -1)"
  echo "- model: $MODEL ($(stat -c %s "$MODEL") bytes); image: $IMAGE"
  echo "- command: \`make bench\`"
  echo
  echo '```'
  node scripts/bench/bench_wasm.mjs "$MODEL" "$IMAGE"
  build/native/bench_native "$MODEL" "$IMAGE"
  echo '```'
  echo
} | tee "$out"
if [ "${BENCH_RECORD:-1}" = 1 ]; then
  [ -f docs/benchmarks.md ] || printf '# Benchmarks\n\nNewest first. Produced by `make bench` (kernels, whole model) and `make bench-web` (browser race).\n\n' > docs/benchmarks.md
  { head -4 docs/benchmarks.md; cat "$out"; tail -n +5 docs/benchmarks.md; } > docs/benchmarks.md.new && mv docs/benchmarks.md.new docs/benchmarks.md
  echo "bench: recorded in docs/benchmarks.md"
fi
rm -f "$out"
