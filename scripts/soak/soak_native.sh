#!/usr/bin/env bash
# Native memory soak (issue 6): classify the same 1,000 images 10 times in one process and print RSS
# after each pass (tests/soak_native.c).
#
#   scripts/soak/soak_native.sh [--backend own|xnnpack] [--passes N] [--model FILE]   (make soak-native)
#
# Images: 1,000 files spread over $SOAK_DATA (default ../shared/data/pbc) when that data share is there
# (read only), otherwise the fixture images (tests/fixtures/images, noncell, preprocess) repeated to 1,000 paths.
# Model: models/bloodcell.bin, or the random-weights test model when the trained model is absent.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${SOAK_IMAGES:-1000}
data=${SOAK_DATA:-../shared/data/pbc}
list=build/native/soak-list.txt
mkdir -p build/native
if [ -d "$data" ]; then
  # every k-th of the sorted JPEG paths, so all classes are in the sample
  find "$data" -type f -name '*.jpg' | LC_ALL=C sort > "$list.all"
  total=$(wc -l < "$list.all")
  awk -v k=$(( total / N > 0 ? total / N : 1 )) -v n="$N" '(NR - 1) % k == 0 && c < n { print; c++ }' "$list.all" > "$list"
  src="$data ($(wc -l < "$list") of its $total JPEGs, every $(( total / N > 0 ? total / N : 1 ))th in sorted order)"
else
  fx=(tests/fixtures/images/*.jpg tests/fixtures/noncell/*.jpg tests/fixtures/noncell/*.png
      tests/fixtures/preprocess/*.jpg tests/fixtures/preprocess/*.png tests/fixtures/preprocess/*.bmp)
  : > "$list"
  i=0
  while [ "$i" -lt "$N" ]; do printf '%s\n' "${fx[$((i % ${#fx[@]}))]}" >> "$list"; i=$((i + 1)); done
  src="the ${#fx[@]} fixture images repeated to $N paths"
fi
model=models/bloodcell.bin
[ -f "$model" ] || model=tests/fixtures/random-model.bin
echo "soak-native: $src; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
exec build/native/soak_native --model "$model" "$@" "$list"
