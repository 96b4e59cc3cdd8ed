#!/usr/bin/env bash
# Copies the reference-cell map and the model card into web/models/ for the app:
# from models/ when the real ones are there, else from build/eval-smoke/ (stand-ins made with the
# random-weights test model; built here when missing and the PBC data is at hand).
# Files are copied only when their content changed, so the service worker's revisions stay put.
set -euo pipefail
cd "$(dirname "$0")/../.."
FILES=(reference-map.json reference-embeddings.bin reference-thumbs.webp model-card.json MODEL_CARD.md)
DEST=web/models
PY=${PY:-/usr/bin/python3}
mkdir -p "$DEST"

if [ -f models/reference-map.json ]; then
  SRC=models
elif [ -f models/bloodcell.bin ]; then
  # The trained model is there but its map and card are not built yet: stand-ins made with the
  # random model would describe another model, so the app runs without them for now.
  echo "note: models/bloodcell.bin has no reference map or model card in models/ yet (run build_reference_map.py and evaluate.py); the app runs without them"
  for f in "${FILES[@]}"; do rm -f "$DEST/$f"; done
  exit 0
else
  SRC=build/eval-smoke
  if [ ! -f "$SRC/reference-map.json" ] || [ ! -f "$SRC/model-card.json" ]; then
    echo "note: no reference map in models/ or $SRC/; building stand-ins with the random test model"
    if [ -d ../shared/data/pbc ] && [ -x build/native/bloodcell ]; then
      "$PY" scripts/model/build_reference_map.py --model tests/fixtures/random-model.bin --per-class 10 --out "$SRC" || true
      "$PY" scripts/model/evaluate.py --model tests/fixtures/random-model.bin --limit-per-class 5 --out "$SRC" || true
    fi
  fi
  if [ -f "$SRC/reference-map.json" ]; then
    echo "note: models/reference-map.json not built yet; the app uses the stand-in map and model card from $SRC (random-weights test model)"
  else
    echo "note: no reference map or model card available; the app runs without the map, the out-of-distribution check and the model card"
    exit 0
  fi
fi

for f in "${FILES[@]}"; do
  if [ -f "$SRC/$f" ]; then
    cmp -s "$SRC/$f" "$DEST/$f" || cp "$SRC/$f" "$DEST/$f"
  else
    echo "note: $SRC/$f missing"
    rm -f "$DEST/$f"
  fi
done
