#!/usr/bin/env bash
# `bloodcell locate` as a user runs it on whole-field photos (tests/fixtures/fields, README.md there): known
# fields give boxes on their annotated white cells, an EXIF-rotated photo gives the boxes of the upright one,
# empty / uniform / black / tiny / single-cell images give a sensible answer, bad files an error line while
# the rest go on (exit 1).
set -u
cd "$(dirname "$0")/.."
BIN=${BLOODCELL_CLI:-build/native/bloodcell}
MODEL=models/bloodcell.bin
F=tests/fixtures/fields
pass=0; fail=0
ok() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1"; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# node: check lines of JSON on stdin with a function body over (lines, expected)
js() { node -e "const lines=require('fs').readFileSync(0,'utf8').trim().split('\n').map(l=>JSON.parse(l));
  const expected=require('./$F/expected.json'); const by=f=>lines.find(l=>l.file.endsWith('/'+f));
  const inside=(d,t)=>{const cx=(d[0]+d[2])/2, cy=(d[1]+d[3])/2; return cx>=t[0]&&cx<=t[2]&&cy>=t[1]&&cy<=t[3];};
  if (!(() => { $1 })()) process.exit(1);"; }

out=$($BIN locate --json --model $MODEL $F/bcdd-image-1.png $F/pig-389_JPG.jpg $F/pig-q95.jpg $F/pig-exif6.jpg 2>/dev/null); rc=$?
ok "exit 0 on good fields" '[ $rc -eq 0 ]'
ok "one JSON line per image, with the fields the issue names" 'echo "$out" | js "return lines.length===4 && lines.every(l=>Number.isInteger(l.width)&&Number.isInteger(l.height)&&Array.isArray(l.cells)&&l.cells.every(c=>c.box.length===4&&typeof c.label===\"string\"&&Object.keys(c.probs).length===8&&c.confidence===c.probs[c.label]))"'
ok "BCDD image-1: one cell, on its annotated white cell" 'echo "$out" | js "const r=by(\"bcdd-image-1.png\"); return r.cells.length===1 && inside(r.cells[0].box, expected[\"bcdd-image-1.png\"].wbc[0])"'
ok "BCDD image-1: the red-cell ruler is measured (40-60 px)" 'echo "$out" | js "const d=by(\"bcdd-image-1.png\").scale.rbc_diameter_px; return d>40&&d<60"'
ok "pig photo: every box lies on an annotated white cell (two touching cells are one box)" 'echo "$out" | js "const r=by(\"pig-389_JPG.jpg\"), t=expected[\"pig-389_JPG.jpg\"].wbc; return r.cells.length>=2 && r.cells.every(c=>t.some(b=>inside(c.box,b)))"'
ok "boxes stay inside the image" 'echo "$out" | js "return lines.every(l=>l.cells.every(c=>c.box[0]>=0&&c.box[1]>=0&&c.box[2]<=l.width&&c.box[3]<=l.height&&c.box[0]<c.box[2]&&c.box[1]<c.box[3]))"'
ok "EXIF orientation 6: reported, and the boxes of the upright photo" 'echo "$out" | js "const a=by(\"pig-q95.jpg\"), b=by(\"pig-exif6.jpg\"); return b.orientation===6 && a.orientation===1 && b.width===416 && JSON.stringify(a.cells.map(c=>c.box))===JSON.stringify(b.cells.map(c=>c.box))"'
ok "the plain output names the cells" '$BIN locate --model $MODEL $F/bcdd-image-1.png | grep -q "1 white cell"'

/usr/bin/python3 - "$tmp" <<'PY'
import sys
from PIL import Image
d = sys.argv[1]
Image.new("RGB", (640, 480), (236, 226, 230)).save(d + "/uniform.png")
Image.new("RGB", (640, 480), (0, 0, 0)).save(d + "/black.png")
Image.new("RGB", (1, 1), (120, 60, 160)).save(d + "/tiny.png")
Image.new("L", (300, 200), 128).save(d + "/grey.png")
Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(d + "/transparent.png")
PY
: > "$tmp/empty.jpg"
head -c 4000 $F/pig-389_JPG.jpg > "$tmp/truncated.jpg"
echo "not an image" > "$tmp/notes.txt"
printf '\000\000\000\030ftypheic\000\000\000\000mif1heic' > "$tmp/photo.heic"
/usr/bin/python3 -c "import struct,zlib,sys; ihdr=struct.pack('>IIBBBBB',20000,20000,8,2,0,0,0); c=lambda t,d: struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff); open(sys.argv[1],'wb').write(b'\x89PNG\r\n\x1a\n'+c(b'IHDR',ihdr)+c(b'IEND',b''))" "$tmp/huge.png"
out=$($BIN locate --json --model $MODEL "$tmp/uniform.png" "$tmp/black.png" "$tmp/tiny.png" "$tmp/grey.png" "$tmp/transparent.png" "$tmp/empty.jpg" "$tmp/missing.jpg" "$tmp/truncated.jpg" "$tmp/notes.txt" "$tmp/photo.heic" "$tmp/huge.png" tests/fixtures/images/$(ls tests/fixtures/images | grep -m1 -i '\.jpg$') $F/bcdd-image-1.png 2>/dev/null); rc=$?
ok "exit 1 when a file failed" '[ $rc -eq 1 ]'
ok "every file gets a line" '[ $(echo "$out" | wc -l) -eq 13 ]'
ok "uniform, black, tiny, grey and transparent images: no cells" 'echo "$out" | js "return [\"uniform.png\",\"black.png\",\"tiny.png\",\"grey.png\",\"transparent.png\"].every(f=>by(f).cells.length===0)"'
ok "empty, missing, truncated, not-an-image, HEIC and huge files: a clear error each" 'echo "$out" | js "const e=f=>by(f).error||\"\"; return /empty file/.test(e(\"empty.jpg\"))&&/No such file/.test(e(\"missing.jpg\"))&&/truncated/.test(e(\"truncated.jpg\"))&&/not an image/.test(e(\"notes.txt\"))&&/HEIC/.test(e(\"photo.heic\"))&&/too large|limit/.test(e(\"huge.png\"))"'
ok "a single-cell PBC image: one cell" 'echo "$out" | js "const r=lines[11]; return !r.error && r.cells.length===1"'
ok "the field after the bad files is still located" 'echo "$out" | js "return by(\"bcdd-image-1.png\").cells.length===1"'
out=$($BIN locate --json --model $MODEL -- "$tmp/quote\"name.png" 2>/dev/null)
ok "hostile file names stay valid JSON" 'echo "$out" | js "return lines.length===1 && !!lines[0].error"'
ok "usage: no image is exit 2" '$BIN locate --json >/dev/null 2>&1; [ $? -eq 2 ]'
ok "a corrupt model is exit 2 with the reason" 'head -c 999 $MODEL > "$tmp/m.bin"; $BIN locate --model "$tmp/m.bin" $F/bcdd-image-1.png 2>&1 | grep -q "cannot load model"'
echo "locate: $pass passed, $fail failed"
[ $fail -eq 0 ]
