#!/usr/bin/env bash
# The native CLI as a user runs it: JSON lines per image, an error line per bad file with the
# rest going on, non-zero exit when any file failed, clear model errors; and batch work in a lab:
# folders, -j, the app's CSV columns, the summary, the model card's threshold and the reference map.
set -u
cd "$(dirname "$0")/.."
BIN=${BLOODCELL_CLI:-build/native/bloodcell}   # BLOODCELL_CLI: another build, e.g. to check that these tests fail
MODEL=tests/fixtures/random-model.bin
pass=0; fail=0
ok() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1"; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

imgs=(tests/fixtures/images/*.jpg)
out=$($BIN classify --json --model $MODEL "${imgs[@]}" 2>/dev/null); rc=$?
ok "exit 0 on good images" '[ $rc -eq 0 ]'
ok "one JSON line per image" '[ $(echo "$out" | wc -l) -eq ${#imgs[@]} ]'
ok "JSON lines parse with the 8 probabilities" 'echo "$out" | node -e "
  const lines=require(\"fs\").readFileSync(0,\"utf8\").trim().split(\"\\n\");
  for (const l of lines) { const o=JSON.parse(l); const ks=Object.keys(o.probs);
    if (ks.length!==8 || !ks.includes(o.label) || Math.abs(Object.values(o.probs).reduce((a,b)=>a+b)-1)>1e-4 || o.confidence!==o.probs[o.label]) process.exit(1); }"'

: > "$tmp/empty.jpg"
head -c 3000 "${imgs[0]}" > "$tmp/truncated.jpg"
echo "not an image" > "$tmp/notes.txt"
printf 'x' > "$tmp/quote\"name.png"
out=$($BIN classify --json --model $MODEL "${imgs[0]}" "$tmp/empty.jpg" "$tmp/missing.jpg" "$tmp/truncated.jpg" "$tmp/notes.txt" "$tmp/quote\"name.png" "${imgs[1]}" 2>/dev/null); rc=$?
ok "exit 1 when a file failed" '[ $rc -eq 1 ]'
ok "every file gets a line" '[ $(echo "$out" | wc -l) -eq 7 ]'
ok "empty file message" 'echo "$out" | grep -q "empty.jpg\", \"error\": \"empty file"'
ok "missing file message" 'echo "$out" | grep -q "missing.jpg\", \"error\": \"cannot read file: No such file"'
ok "truncated file message" 'echo "$out" | grep -q "truncated.jpg\", \"error\": \"truncated"'
ok "not-an-image message" 'echo "$out" | grep -q "notes.txt\", \"error\": \"not an image"'
ok "file names are JSON-escaped" 'echo "$out" | node -e "require(\"fs\").readFileSync(0,\"utf8\").trim().split(\"\\n\").forEach(l=>JSON.parse(l))"'
ok "images after bad files still classified" '[ $(echo "$out" | grep -c "\"label\"") -eq 2 ]'

# Formats the CLI does not read are named, in JSON and in the plain output, and the rest goes on.
printf '\000\000\000\030ftypheic\000\000\000\000mif1heic' > "$tmp/photo.heic"
/usr/bin/python3 -c "
from PIL import Image; im = Image.open('${imgs[0]}'); im.save('$tmp/cell.webp', lossless=True); im.save('$tmp/cell.tif')"
out=$($BIN classify --json --model $MODEL "$tmp/photo.heic" "$tmp/cell.webp" "$tmp/cell.tif" "${imgs[0]}" 2>/dev/null); rc=$?
ok "HEIC named: exit 1 and the format in the message" '[ $rc -eq 1 ] && echo "$out" | grep -q "photo.heic\", \"error\": \"HEIC images are not supported: save as JPEG or PNG"'
ok "WebP named" 'echo "$out" | grep -q "cell.webp\", \"error\": \"WebP images are not supported"'
ok "TIFF named" 'echo "$out" | grep -q "cell.tif\", \"error\": \"TIFF images are not supported"'
ok "the JPEG after them is classified" '[ $(echo "$out" | grep -c "\"label\"") -eq 1 ]'
err=$($BIN classify --model $MODEL "$tmp/photo.heic" 2>/dev/null)
ok "plain output names HEIC too" 'echo "$err" | grep -q "HEIC images are not supported"'

head -c 20000 $MODEL > "$tmp/cut.bin"
err=$($BIN classify --model "$tmp/cut.bin" "${imgs[0]}" 2>&1); rc=$?
ok "truncated model: exit 2 with a message" '[ $rc -eq 2 ] && echo "$err" | grep -q "cannot load model.*truncated"'
err=$($BIN classify --model "$tmp/nothing.bin" "${imgs[0]}" 2>&1); rc=$?
ok "missing model: exit 2 with a message" '[ $rc -eq 2 ] && echo "$err" | grep -q "cannot read model"'
err=$($BIN classify --backend gpu "${imgs[0]}" 2>&1); rc=$?
ok "unknown backend refused" '[ $rc -eq 2 ] && echo "$err" | grep -q "unknown backend"'
a=$($BIN classify --json --model $MODEL --backend own "${imgs[@]}" 2>/dev/null)
b=$($BIN classify --json --model $MODEL --backend xnnpack "${imgs[@]}" 2>/dev/null)
ok "own and xnnpack backends print identical results" '[ "$a" = "$b" ]'
if [ -f models/bloodcell.bin ]; then
  out=$($BIN classify --json "${imgs[@]}"); rc=$?
  ok "default model loads and classifies" '[ $rc -eq 0 ] && [ $(echo "$out" | grep -c "\"label\"") -eq ${#imgs[@]} ]'
  ok "each JSON line says how the cell was framed (the shipped model: resize mode 0, the centre crop) and the mode" \
    '[ $(echo "$out" | grep -c "\"careful\": false, \"frame\": {\"resize_mode\": 0, \"path\": \"centre\"") -eq ${#imgs[@]} ]'
  t=$($BIN classify --json --tta "${imgs[0]}" 2>/dev/null)
  ok "--tta says careful in the JSON and changes the numbers" \
    'echo "$t" | grep -q "\"careful\": true" && [ "$(echo "$t" | grep -o "\"logits\": \[[^]]*\]")" != "$(echo "$out" | head -1 | grep -o "\"logits\": \[[^]]*\]")" ]'
else
  echo "note: models/bloodcell.bin not trained yet; default-model check runs once it exists"
fi
# ---- batch work in a lab: the default backend, -j, folders, --csv, --summary, the map and model card ----
REAL=models/bloodcell.bin
ok "the default backend is XNNPACK, --backend own our kernels" \
  '$BIN info --model $MODEL 2>/dev/null | grep -qx "kernels: xnnpack" && $BIN info --model $MODEL --backend own 2>/dev/null | grep -qx "kernels: scalar"'

# A tree under build/: nested folders, hostile names, a non-image file (skipped), a bad image (tried).
T=build/tmp/cli-tree.$$
trap 'rm -rf "$tmp" "$T" "$T.guard"' EXIT
mkdir -p "$T/slide A/sub/deeper" "$T/b"
cp "${imgs[0]}" "$T/a.jpg"
cp "${imgs[1]}" "$T/b/<img src=x onerror=alert(1)>.jpg"
cp "${imgs[2]}" "$T/b/=HYPERLINK(1).jpg"
printf 'BM' > "$T/b/broken.bmp"
cp "${imgs[3]}" "$T/b/new"$'\n'"line.jpg"
echo "not an image" > "$T/b/notes.txt"
cp "${imgs[4]}" "$T/b/quote\"and,comma.png"
echo "# slide" > "$T/b/readme.md"
cp "${imgs[5]}" "$T/slide A/cell 1.JPG"
cp "${imgs[6]}" "$T/slide A/sub/deeper/x.jpeg"
expect='["a.jpg", "b/<img src=x onerror=alert(1)>.jpg", "b/=HYPERLINK(1).jpg", "b/broken.bmp", "b/new\nline.jpg",
  "b/quote\"and,comma.png", "slide A/cell 1.JPG", "slide A/sub/deeper/x.jpeg"]'
out=$($BIN classify --json --model $REAL "$T" 2>/dev/null); rc=$?
ok "folder: exit 1 (one bad image in it)" '[ $rc -eq 1 ]'
ok "folder: images found recursively in sorted order, other files skipped, names JSON-escaped" 'echo "$out" | T="$T" E="$expect" node -e "
  const got=require(\"fs\").readFileSync(0,\"utf8\").trim().split(\"\\n\").map(l=>JSON.parse(l).file);
  const want=JSON.parse(process.env.E).map(f=>process.env.T+\"/\"+f);
  if (JSON.stringify(got)!==JSON.stringify(want)) { console.error(got); process.exit(1); }"'
ok "folder: the bad image has its error, the other 7 are classified" \
  '[ $(echo "$out" | grep -c "broken.bmp\", \"error\": ") -eq 1 ] && [ $(echo "$out" | grep -c "\"label\"") -eq 7 ]'
ok "folder given with a trailing slash: the same paths" '[ "$($BIN classify --json --model $REAL "$T/" 2>/dev/null)" = "$out" ]'
out=$($BIN classify --json --model $REAL "$T/b/notes.txt" 2>/dev/null); rc=$?
ok "a non-image file named explicitly is tried and reported" '[ $rc -eq 1 ] && echo "$out" | grep -q "notes.txt\", \"error\": \"not an image"'
mkdir -p "$T/empty/sub"
err=$($BIN classify --model $REAL "$T/empty" 2>&1 >/dev/null); rc=$?
ok "a folder without images: said, exit 1" '[ $rc -eq 1 ] && echo "$err" | grep -q "no images found"'

# -j: the same bytes for any number of threads, in every format.
set_=("$T" "${imgs[@]}" "$tmp/empty.jpg" "$tmp/missing.jpg" tests/fixtures/noncell tests/fixtures/ambiguous)
for fmt in "--json --embedding" "--csv" "--summary" "--json --summary"; do
  a=$($BIN classify $fmt --model $REAL -j 1 "${set_[@]}" 2>/dev/null)
  b=$($BIN classify $fmt --model $REAL -j 2 "${set_[@]}" 2>/dev/null)
  c=$($BIN classify $fmt --model $REAL -j 5 "${set_[@]}" 2>/dev/null)
  ok "-j 2 and -j 5 print what -j 1 prints ($fmt)" '[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" = "$c" ]'
done
a=$($BIN classify --json --model $REAL -j 1 "${set_[@]}" 2>/dev/null); ra=$?
b=$($BIN classify --json --model $REAL -j 2 "${set_[@]}" 2>/dev/null); rb=$?
ok "-j 2: the same exit status (1: bad files)" '[ $ra -eq 1 ] && [ $rb -eq 1 ]'
a=$($BIN classify --json --backend own --model $REAL -j 1 "${set_[@]}" 2>/dev/null)
b=$($BIN classify --json --backend own --model $REAL -j 2 "${set_[@]}" 2>/dev/null)
ok "-j 2 equals -j 1 with our own kernels too" '[ "$a" = "$b" ]'
ok "-j 0 and -j x refused" '! $BIN classify -j 0 "${imgs[0]}" 2>/dev/null; [ $? -eq 0 ] && { $BIN classify -j x "${imgs[0]}" 2>/dev/null; [ $? -eq 2 ]; }'

# --csv: the app's own toCSV (web/export.js) given the CLI's results must write the same bytes.
csv=$($BIN classify --csv --model $REAL "${set_[@]}" 2>/dev/null; echo .); csv=${csv%.}
json=$($BIN classify --json --model $REAL "${set_[@]}" 2>/dev/null)
thr=$(node -e 'console.log(require("./models/model-card.json").unidentified_threshold.value)')
subs=$($BIN info --model $REAL 2>/dev/null | sed -n "s/^sub-classes: //p")
app=$(echo "$json" | SUBS="$subs" THR=$thr node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { state } from "./web/state.js";
  import { toCSV } from "./web/export.js";
  const lines = readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const classes = Object.keys(lines.find((l) => l.probs).probs);
  // the kinds of the model, as bloodcell info lists them (parent/id)
  const subclasses = process.env.SUBS.split(" ").filter(Boolean).map((x) => ({ parent: x.split("/")[0], id: x.split("/")[1] }));
  state.info = { classes, subclasses };
  state.threshold = Number(process.env.THR);
  lines.forEach((l, i) => state.cells.set(i + 1, l.error !== undefined
    ? { id: i + 1, name: l.file, ok: false, error: l.error, confirmed: null }
    : { id: i + 1, name: l.file, ok: true, error: "", label: l.label, index: classes.indexOf(l.label), confidence: l.confidence,
        probs: classes.map((k) => l.probs[k]), confirmed: null,
        subprobs: subclasses.map((x) => (x.parent === l.label && l.subclass ? l.subclass.probs[x.id] : 0)),
        ood: l.ood_score === null ? null : { score: l.ood_score, x: l.map_xy[0], y: l.map_xy[1], flagged: l.flags.includes("out_of_distribution") } }));
  process.stdout.write(toCSV());'; echo .); app=${app%.}
hdr=$'file,status,predicted,confidence,p_basophil,p_eosinophil,p_erythroblast,p_ig,p_lymphocyte,p_monocyte,p_neutrophil,p_platelet,ood_score,confirmed,reassigned,flags,error,subclass,p_subclass\r'
ok "--csv: the header is the app's (file,status,predicted,confidence,p_<class>...,ood_score,confirmed,reassigned,flags,error,subclass,p_subclass)" \
  '[ "$(printf %s "$csv" | head -1)" = "$hdr" ] && [ "$(printf %s "$app" | head -1)" = "$hdr" ]'
ok "--csv: every row byte for byte what the app's export writes (quoting, formula guard, CRLF)" '[ -n "$csv" ] && [ "$csv" = "$app" ]'
ok "--csv: the hostile names are quoted and the formula guarded" \
  'printf %s "$csv" | grep -q "^\"$T/b/quote\"\"and,comma.png\",ok," && printf %s "$csv" | grep -q "^$T/b/=HYPERLINK(1).jpg,ok" && printf %s "$csv" | grep -q "^\"$T/b/new$"'
G=$T.guard; mkdir -p "$G"; cp "${imgs[0]}" "$G/=HYPERLINK(1).jpg"; cp "${imgs[0]}" "$G/@a.jpg"; cp "${imgs[0]}" "$G/-1.jpg"
bin=$(realpath "$BIN"); rows=$(cd "$G" && "$bin" classify --csv --model "$OLDPWD/$REAL" -- "=HYPERLINK(1).jpg" "@a.jpg" "-1.jpg" 2>/dev/null | cut -d, -f1-2 | tr -d '\r' | tr '\n' ' ')
want="file,status '=HYPERLINK(1).jpg,ok '@a.jpg,ok -1.jpg,ok "
ok "--csv: a name that starts like a formula gets the app's ' guard, one like a number does not" '[ "$rows" = "$want" ]'
ok "--csv: the app's groups: excluded, unidentified, failed (empty confirmed, flag error)" \
  'printf %s "$csv" | grep -q "flat-grey.png,ok,.*,excluded,no,out_of_distribution" && printf %s "$csv" | grep -q "blend.jpg,ok,.*,unidentified,no,low_confidence" && printf %s "$csv" | grep -q "empty.jpg,error,,,,,,,,,,,,,no,error,empty file"'
ok "--csv --summary: the CSV stays clean on stdout, the table goes to stderr" \
  '[ "$($BIN classify --csv --summary --model $REAL "${set_[@]}" 2>/dev/null; echo .)" = "$csv." ] && $BIN classify --csv --summary --model $REAL "${set_[@]}" 2>&1 >/dev/null | grep -q "WBC counted: "'

# --summary on a folder.
out=$($BIN classify --summary --model $REAL tests/fixtures/images 2>/dev/null); rc=$?
ok "--summary: the table after the lines" '[ $rc -eq 0 ] && echo "$out" | grep -q "^WBC counted: 6 / 100" && echo "$out" | grep -q "^NRBC (erythroblasts): 1, 16.7 per 100 WBC" && echo "$out" | grep -q "^Platelets (counted apart): 1" && echo "$out" | grep -q "^Unidentified: 0   Excluded (out of distribution): 0   Failed: 0"'
out=$($BIN classify --summary --json --target 200 --wbc 6 --model $REAL tests/fixtures/images "$tmp/empty.jpg" 2>/dev/null); rc=$?
ok "--summary --json: one last summary line" '[ $rc -eq 1 ] && [ $(echo "$out" | wc -l) -eq 10 ] && echo "$out" | tail -1 | node -e "
  const s=JSON.parse(require(\"fs\").readFileSync(0,\"utf8\")).summary;
  const keys=\"total wbc target differential subclasses nrbc nrbc_per_100_wbc platelets unidentified excluded failed other wbc_total wbc_corrected absolute\";
  if (Object.keys(s).join(\" \")!==keys || s.total!==9 || s.wbc!==6 || s.target!==200 || s.failed!==1 || s.platelets!==1 || s.nrbc!==1
      || Math.abs(s.wbc_corrected-6*100/(100+100/6))>1e-12 || s.differential.neutrophil.count!==1) process.exit(1);
  for (const [k, kinds] of Object.entries(s.subclasses)) if (Object.values(kinds).reduce((a, x) => a + x.count, 0) !== s.differential[k].count) process.exit(1);
  if (s.subclasses.neutrophil.band.count !== 1) process.exit(1);"'
ok "--summary: the kinds under their class (the band neutrophil fixture), indented, in % of the WBC" \
  '$BIN classify --summary --model $REAL tests/fixtures/images 2>/dev/null | grep -A2 "^  neutrophil " | grep -q "^    band  *1  *16.7$"'
ok "--csv: a model without sub-classes keeps the columns without the kind (v1 random model)" \
  '$BIN classify --csv --model $MODEL "${imgs[0]}" 2>/dev/null | head -1 | grep -q ",flags,error.$"'
ok "--csv: the band neutrophil's row ends with its kind and probability" \
  '$BIN classify --csv --model $REAL tests/fixtures/images/neutrophil_BNE_101082.jpg 2>/dev/null | tail -1 | grep -q ",band,0\.7925[0-9]*.$"'
ok "--target other than 100 or 200 refused" '$BIN classify --target 150 "${imgs[0]}" 2>/dev/null; [ $? -eq 2 ]'
ok "--wbc not a number refused" '$BIN classify --wbc lots "${imgs[0]}" 2>/dev/null; [ $? -eq 2 ]'
ok "--json with --csv refused" '$BIN classify --json --csv "${imgs[0]}" 2>/dev/null; [ $? -eq 2 ]'

# The unidentified threshold (model card) and the reference map.
out=$($BIN classify --json --model $REAL tests/fixtures/ambiguous 2>/dev/null)
ok "a low-confidence cell is unidentified at the model card's threshold" 'echo "$out" | grep -q "\"confirmed\": \"unidentified\", \"flags\": \[\"low_confidence\"\]"'
out=$($BIN classify --json --threshold 0.5 --model $REAL tests/fixtures/ambiguous 2>/dev/null)
ok "--threshold 0.5 accepts it" 'echo "$out" | grep -q "\"confirmed\": \"monocyte\", \"flags\": \[\]"'
out=$($BIN classify --json --map none --model $REAL tests/fixtures/noncell/flat-grey.png 2>/dev/null)
ok "--map none: no OOD score, nothing excluded" 'echo "$out" | grep -q "\"ood_score\": null, \"map_xy\": null, \"confirmed\": \"basophil\""'
err=$($BIN classify --json --model $MODEL "${imgs[0]}" "${imgs[1]}" 2>&1 >/dev/null)
ok "no map next to the model: said once on stderr" '[ $(echo "$err" | grep -c "no reference map at tests/fixtures/reference-map.json") -eq 1 ]'
mkdir -p "$T/m"
cp $REAL "$T/m/model.bin"
printf '{"unidentified_threshold": {"value": 0.9,}}' > "$T/m/model-card.json"
err=$($BIN classify --model "$T/m/model.bin" --map none "${imgs[0]}" 2>&1); rc=$?
ok "a malformed model card: exit 2, where" '[ $rc -eq 2 ] && echo "$err" | grep -q "model-card.json is not valid JSON: expected a member name at line 1, column 42"'
ok "--threshold goes on without the card" '$BIN classify --model "$T/m/model.bin" --map none --threshold 0.9 "${imgs[0]}" >/dev/null 2>&1'
head -c 5000 models/reference-map.json > "$T/m/reference-map.json"
err=$($BIN classify --model "$T/m/model.bin" --threshold 0.9 "${imgs[0]}" 2>&1); rc=$?
ok "a truncated reference map: exit 2 with the reason" '[ $rc -eq 2 ] && echo "$err" | grep -q "reference-map.json: not valid JSON: "'
err=$($BIN classify --map "$T/nothing.json" --model $REAL "${imgs[0]}" 2>&1); rc=$?
ok "a --map that is not there: exit 2" '[ $rc -eq 2 ] && echo "$err" | grep -q "nothing.json: No such file"'
node -e 'const m=require("./models/reference-map.json"); m.ood.threshold="high"; process.stdout.write(JSON.stringify(m))' > "$T/m/reference-map.json"
cp models/reference-embeddings.bin "$T/m/"
err=$($BIN classify --model "$T/m/model.bin" --threshold 0.9 "${imgs[0]}" 2>&1); rc=$?
ok "a map whose ood.threshold is not a number: exit 2" '[ $rc -eq 2 ] && echo "$err" | grep -q "ood.threshold is not a number"'
cp models/reference-map.json "$T/m/"
head -c 1000 models/reference-embeddings.bin > "$T/m/reference-embeddings.bin"
err=$($BIN classify --model "$T/m/model.bin" --threshold 0.9 "${imgs[0]}" 2>&1); rc=$?
ok "short reference embeddings: exit 2" '[ $rc -eq 2 ] && echo "$err" | grep -q "1000 bytes, expected 552960"'
cp models/reference-map.json models/reference-embeddings.bin "$T/m/"
err=$($BIN classify --model $MODEL --map "$T/m/reference-map.json" "${imgs[0]}" 2>&1); rc=$?
ok "a map for another model: refused when asked for" '[ $rc -eq 2 ] && echo "$err" | grep -q "built for the model \"cellnet"'
cp $MODEL "$T/m/model.bin"
err=$($BIN classify --model "$T/m/model.bin" --threshold 0.9 "${imgs[0]}" 2>&1); rc=$?
ok "the default map built for another model: said, left out" '[ $rc -eq 0 ] && echo "$err" | grep -q "not used: the reference map was built for the model"'
echo "cli: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
