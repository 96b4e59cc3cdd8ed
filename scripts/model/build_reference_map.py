"""build_reference_map.py - the app's reference map: a 2-D t-SNE of training-cell embeddings, the embeddings
themselves, a thumbnail sprite sheet, and a calibrated out-of-distribution (OOD) threshold.

    /usr/bin/python3 scripts/model/build_reference_map.py [--model models/bloodcell.bin] [--per-class 180] [--out models]
        [--data ../shared/data/pbc] [--ood-val-per-class 50] [--jobs 1] [--backend own|xnnpack]
        [--write-noncell-fixtures DIR]

Relative paths are resolved against the repository root.  Embeddings come from the native CLI
(`bloodcell classify --json --embedding`, the int8 engine), cached in build/eval-cache/ (shared with
scripts/model/evaluate.py).

Outputs in OUT:
  reference-map.json        classes, points (x, y in 0..1, label = class index, file), the kNN placement rule,
                            the OOD score rule, threshold and measured rates, the embedding and sprite layout
  reference-embeddings.bin  L2-normalised embeddings, little-endian float16, row-major N x C (row i = points[i])
  reference-thumbs.webp     sprite sheet of 48x48 thumbnails (row-major grid, index = point order)
  REFERENCE_MAP.md          the same rules in prose, for the app
Generated non-cell images for the OOD calibration go to build/ood/ (not committed)."""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # keep CPU use light (t-SNE, BLAS)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine_runs as er  # noqa: E402
import model_card  # noqa: E402
from map_layout import PLACEMENT_RULE, stratified, l2n, knn_place, tsne_2d  # noqa: E402
from noncell import generate_noncell, generate_derived  # noqa: E402
from ood import rates, auroc  # noqa: E402
from sprite import build_sprite  # noqa: E402

REPO = er.REPO
CLASSES = er.CLASSES
SAMPLE_SEED = 20261126
TSNE_SEED = 0


def fail(msg):
    er.fail(msg)


# ---------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/bloodcell.bin")
    ap.add_argument("--data", default="../shared/data/pbc")
    ap.add_argument("--per-class", type=int, default=180, help="training images per class on the map")
    ap.add_argument("--ood-val-per-class", type=int, default=50, help="held-out val images per class for the OOD "
                                                                      "threshold")
    ap.add_argument("--out", default="models")
    ap.add_argument("--cli", default="build/native/bloodcell")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--backend", choices=("own", "xnnpack"), default="own")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=SAMPLE_SEED)
    ap.add_argument("--perplexity", type=float, default=30.0)
    ap.add_argument("--thumb", type=int, default=48)
    ap.add_argument("--thumb-crop", type=float, default=0.7, help="fraction of min(W,H) kept by the centre crop")
    ap.add_argument("--columns", type=int, default=40)
    ap.add_argument("--max-sprite-bytes", type=int, default=1_500_000)
    ap.add_argument("--ood-percentile", type=float, default=99.0)
    ap.add_argument("--noncell-dir", default="build/ood")
    ap.add_argument("--write-noncell-fixtures", default=None, metavar="DIR",
                    help="also copy a handful of the generated non-cell images here (e.g. tests/fixtures/noncell)")
    ap.add_argument("--no-cache", action="store_true")
    args = ap.parse_args()

    t_start = time.time()
    model, data_dir, out, cli = er.resolve(args.model), er.resolve(args.data).resolve(), er.resolve(args.out), \
        er.resolve(args.cli)
    ood_dir = er.resolve(args.noncell_dir)
    er.check_cli(cli)
    model_bytes, g = er.check_model(model)
    rows = er.read_split()
    ref_items = stratified(rows, "train", args.per_class, args.seed)
    val_items = stratified(rows, "val", args.ood_val_per_class, args.seed + 1)
    er.check_data(data_dir, ref_items + val_items)

    noncell = generate_noncell(ood_dir / "noncell")
    derived = generate_derived(ood_dir / "derived", data_dir, val_items)
    print(f"model {er.rel(model)}; reference {len(ref_items)} train images, OOD calibration {len(val_items)} val "
          f"images + {len(noncell)} generated non-cell images (+{len(derived)} derived diagnostics) in "
          f"{er.rel(ood_dir)}", file=sys.stderr)

    paths = [data_dir / f for f, _ in ref_items + val_items] + [p for _, _, p in noncell + derived]
    res, timing = er.run_engine(cli, model, model_bytes, paths, jobs=args.jobs, use_cache=not args.no_cache,
                                backend=args.backend)

    def embed(items_paths):
        ok, embs, bad = [], [], []
        for key, p in items_paths:
            r = res[str(p)]
            if "error" in r:
                bad.append((key, r["error"]))
            else:
                ok.append(key)
                embs.append(r["embedding"])
        return ok, np.array(embs, np.float64), bad

    ref_ok, ref_emb, ref_bad = embed([((f, ci), data_dir / f) for f, ci in ref_items])
    val_ok, val_emb, val_bad = embed([((f, ci), data_dir / f) for f, ci in val_items])
    non_ok, non_emb, non_bad = embed([((n, k), p) for n, k, p in noncell])
    der_ok, der_emb, der_bad = embed([((n, k), p) for n, k, p in derived])
    for what, bad in (("reference", ref_bad), ("val", val_bad), ("non-cell", non_bad), ("derived", der_bad)):
        if bad:
            print(f"warning: {len(bad)} {what} image(s) failed in the engine, e.g. {bad[0]}", file=sys.stderr)
    if len(ref_ok) < args.k + 1:
        fail(f"only {len(ref_ok)} reference images could be embedded; need more than k = {args.k}")
    C = ref_emb.shape[1]

    ref_n = l2n(ref_emb)
    ref16 = ref_n.astype("<f2")
    ref32 = ref16.astype(np.float32)  # what the app has
    t0 = time.time()
    xy, perp = tsne_2d(ref_n, TSNE_SEED, args.perplexity)
    t_tsne = time.time() - t0
    xy = np.round(xy.astype(np.float64), 5)
    print(f"t-SNE of {len(ref_ok)} x {C} in {t_tsne:.1f} s (perplexity {perp:.1f})", file=sys.stderr)

    # OOD scores with the app's exact rule, against the float16 references
    k = args.k
    _, s_val, idx_val = knn_place(l2n(val_emb).astype(np.float32), ref32, xy, k)
    _, s_non, _ = knn_place(l2n(non_emb).astype(np.float32), ref32, xy, k) if len(non_ok) else (None, np.zeros(0), None)
    _, s_der, _ = knn_place(l2n(der_emb).astype(np.float32), ref32, xy, k) if len(der_ok) else (None, np.zeros(0), None)
    ref_labels = np.array([ci for _, ci in ref_ok])
    val_labels = np.array([ci for _, ci in val_ok])
    vote = np.array([np.bincount(ref_labels[row], minlength=len(CLASSES)).argmax() for row in idx_val])
    knn_acc = float((vote == val_labels).mean())

    thr = float(np.percentile(s_val, args.ood_percentile))
    thr = float(np.ceil(thr * 1e4) / 1e4)
    main_rates = rates(s_val, s_non, thr)
    alt = {"p95": rates(s_val, s_non, np.ceil(np.percentile(s_val, 95) * 1e4) / 1e4),
           "p99.9": rates(s_val, s_non, np.ceil(np.percentile(s_val, 99.9) * 1e4) / 1e4)}
    cand = np.unique(np.concatenate([s_val, s_non]))
    if len(s_non):
        j = [((s_non > t).mean() - (s_val > t).mean()) for t in cand]
        alt["best_youden"] = rates(s_val, s_non, cand[int(np.argmax(j))])
    print(f"OOD threshold {thr} ({args.ood_percentile}th percentile of PBC val): FPR {main_rates['fpr']} on "
          f"{len(s_val)} val cells, TPR {main_rates['tpr']} on {len(s_non)} non-cell images; kNN vote accuracy on "
          f"val {knn_acc:.3f}", file=sys.stderr)

    # ---- outputs
    out.mkdir(parents=True, exist_ok=True)
    emb_path = out / "reference-embeddings.bin"
    emb_path.write_bytes(ref16.tobytes(order="C"))
    sprite = build_sprite([data_dir / f for f, _ in ref_ok], args.thumb, args.columns, args.thumb_crop,
                          out / "reference-thumbs", args.max_sprite_bytes)
    pct = lambda a, q: round(float(np.percentile(a, q)), 4) if len(a) else "not measured"  # noqa: E731
    doc = {
        "schema": "bloodcell-reference-map-1",
        "generated_by": "scripts/model/build_reference_map.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "model": {"file": er.rel(model), "name": g.name, "sha256_without_temperature": er.cache_key(model_bytes, cli),
                  "note": "embeddings depend on the model weights; rebuild this map whenever the model changes"},
        "classes": CLASSES,
        "embedding_dim": int(C),
        "embeddings": {"file": emb_path.name, "dtype": "float16", "byte_order": "little-endian",
                       "shape": [len(ref_ok), int(C)], "layout": "row-major; row i belongs to points[i]",
                       "normalised": "each row divided by its L2 norm (in float64, then rounded to float16)",
                       "bytes": emb_path.stat().st_size,
                       "source": "the engine's embedding output (dequantized global-average-pool features)"},
        "points": [{"x": float(xy[i, 0]), "y": float(xy[i, 1]), "label": int(ci), "file": f}
                   for i, (f, ci) in enumerate(ref_ok)],
        "layout": {"method": "t-SNE (scikit-learn TSNE, 2-D, init 'pca', learning_rate 'auto', "
                             f"perplexity {perp:g}, random_state {TSNE_SEED}) of the L2-normalised embeddings",
                   "normalisation": "x and y share one scale: shifted to start at 0, divided by the larger extent, "
                                    "the shorter axis centred in 0..1",
                   "y_axis": "y grows downwards when drawn as screen coordinates (any consistent choice works)"},
        "sample": {"split": "train", "per_class": args.per_class, "seed": args.seed,
                   "rule": "per class in class order, one numpy RandomState(seed) permutation of the sorted file "
                           "names; the first per_class files, then sorted by name",
                   "counts": {c: int((ref_labels == i).sum()) for i, c in enumerate(CLASSES)}},
        "knn": {"k": k, "metric": "cosine", "rule": PLACEMENT_RULE.format(k=k),
                "val_vote_accuracy": round(knn_acc, 4),
                "val_vote_note": "majority vote of the k nearest references' labels on the OOD-calibration val "
                                 "cells; a sanity check of the embedding, not the classifier's accuracy"},
        "ood": {"score": "1 - mean cosine similarity of the k nearest reference embeddings (see knn.rule)",
                "flag_if": "score > threshold",
                "threshold": thr,
                "threshold_rule": f"the {args.ood_percentile:g}th percentile of the OOD scores of held-out PBC "
                                  "val cells (rounded up to 4 decimals): about 1% of real PBC cells are flagged",
                "rates": {**main_rates,
                          "fpr_definition": "fraction of held-out PBC val cells flagged (false positives)",
                          "tpr_definition": "fraction of generated non-cell images flagged (true positives)"},
                "auroc": round(auroc(s_val, s_non), 4) if len(s_non) and len(s_val) else "not measured",
                "alternatives": alt,
                "pbc_val_scores": {"n": int(len(s_val)), "min": pct(s_val, 0), "p50": pct(s_val, 50),
                                   "p95": pct(s_val, 95), "p99": pct(s_val, 99), "max": pct(s_val, 100),
                                   "sample": f"{args.ood_val_per_class} val images per class, seed {args.seed + 1}"},
                "noncell_images": [{"name": n, "kind": kd, "score": round(float(s), 4), "flagged": bool(s > thr)}
                                   for (n, kd), s in zip(non_ok, s_non)],
                "derived_diagnostics": [{"name": n, "kind": kd, "score": round(float(s), 4), "flagged": bool(s > thr)}
                                        for (n, kd), s in zip(der_ok, s_der)],
                "derived_note": "PBC val cells altered (rotated, greyscale, inverted, blurred, tiled); reported only, "
                                "not used to choose the threshold",
                "caveat": "generated non-cell images are easy negatives; real-world out-of-distribution inputs "
                          "(other stains, scanners, phone photos of smears, abnormal cells) are not measured"},
        "thumbnails": sprite,
        "citation": model_card.CITATION,
        "attribution": "the thumbnails are cropped and downscaled images of the PBC dataset (CC BY 4.0)",
    }
    (out / "reference-map.json").write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n")
    (out / "REFERENCE_MAP.md").write_text(render_md(doc))

    if args.write_noncell_fixtures:
        write_fixtures(er.resolve(args.write_noncell_fixtures), {n: p for n, _, p in noncell})

    sizes = {p.name: p.stat().st_size for p in (out / "reference-map.json", emb_path, out / sprite["file"],
                                               out / "REFERENCE_MAP.md")}
    for n, b in sizes.items():
        print(f"  {n}: {b:,} bytes", file=sys.stderr)
    print(f"  total shipped (json + bin + sprite): {sum(v for n, v in sizes.items() if not n.endswith('.md')):,} bytes",
          file=sys.stderr)
    n_img = timing["images_run"]
    if n_img:
        print(f"engine: {n_img} images, {1000 * timing['process_seconds'] / n_img:.1f} ms wall / "
              f"{1000 * timing['cpu_seconds'] / n_img:.1f} ms CPU per image ({timing['backend']})", file=sys.stderr)
    print(f"done in {time.time() - t_start:.0f} s", file=sys.stderr)


FIXTURES = ["flat-grey.png", "text-page.png", "checker-16px-colour.png", "mode-rgba-transparent-circle.png",
            "photo-landscape-2.jpg", "blobs-bright.jpg"]


def write_fixtures(dest, by_name):
    """PNGs are copied as generated; JPEGs are halved in size to keep the fixtures small."""
    dest.mkdir(parents=True, exist_ok=True)
    for fn in FIXTURES:
        src = by_name[fn.rsplit(".", 1)[0]]
        if fn.endswith(".png"):
            (dest / fn).write_bytes(src.read_bytes())
            continue
        with Image.open(src) as im:
            im = im.convert("RGB")
        im.resize((im.size[0] // 2, im.size[1] // 2), Image.LANCZOS).save(dest / fn, "JPEG", quality=85)
    print(f"wrote {len(FIXTURES)} non-cell fixtures into {er.rel(dest)}", file=sys.stderr)


def render_md(d):
    o, kn, sp, em = d["ood"], d["knn"], d["thumbnails"], d["embeddings"]
    r = o["rates"]
    L = ["# Reference map\n",
         f"Generated {d['date']} by `{d['generated_by']}` for model `{d['model']['file']}` ({d['model']['name']}). "
         "Rebuild it whenever the model weights change.\n",
         "## Files\n",
         f"- `reference-map.json`: {len(d['points'])} training-split cells; `points[i]` = "
         "`{x, y, label, file}` with x, y in 0..1 (t-SNE), label = class index into `classes`.\n"
         f"- `{em['file']}`: the L2-normalised embeddings, {em['dtype']} {em['byte_order']}, row-major "
         f"{em['shape'][0]} x {em['shape'][1]} ({em['bytes']:,} bytes); row i belongs to points[i].\n"
         f"- `{sp['file']}`: {sp['columns']} x {sp['rows']} grid of {sp['thumb_size']} px thumbnails "
         f"({sp['width']} x {sp['height']} px, {sp['format']} quality {sp['quality']}, {sp['bytes']:,} bytes); "
         f"{sp['index']}. Crop: {sp['crop']}.\n",
         "## Placing a new cell (to implement in the app)\n",
         kn["rule"] + "\n",
         "```js\n"
         "// emb: Float32Array(C) from the engine; ref: Float32Array(N*C) from the float16 file; pts: points\n"
         "let n2 = 0; for (const v of emb) n2 += v * v;\n"
         "const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;\n"
         "const sims = new Float32Array(N);\n"
         "for (let i = 0; i < N; i++) { let s = 0; for (let c = 0; c < C; c++) s += emb[c] * inv * ref[i * C + c]; sims[i] = s; }\n"
         f"const nn = [...sims.keys()].sort((a, b) => sims[b] - sims[a] || a - b).slice(0, {kn['k']});\n"
         "let sw = 0, x = 0, y = 0, ssum = 0;\n"
         "for (const i of nn) { const w = Math.max(sims[i], 0); sw += w; x += w * pts[i].x; y += w * pts[i].y; ssum += sims[i]; }\n"
         "if (sw > 0) { x /= sw; y /= sw; } else { x = nn.reduce((a, i) => a + pts[i].x, 0) / nn.length; y = nn.reduce((a, i) => a + pts[i].y, 0) / nn.length; }\n"
         "const ood = 1 - ssum / nn.length;   // flag when ood > reference-map.json ood.threshold\n"
         "```\n",
         "## Out-of-distribution threshold\n",
         f"Threshold **{o['threshold']}** ({o['threshold_rule']}); flag when {o['flag_if']}.\n",
         model_card.table(["set", "images", "flagged", "meaning"],
                  [["held-out PBC val cells", r["pbc_val_n"], model_card.pct(r["fpr"]), "false positive rate"],
                   ["generated non-cell images", r["noncell_n"], model_card.pct(r["tpr"]), "true positive rate"]]),
         f"AUROC (non-cell vs PBC val): {o['auroc']}. PBC val score percentiles: "
         + ", ".join(f"{k} {v}" for k, v in o["pbc_val_scores"].items() if k not in ("n", "sample")) + ".\n",
         "Other thresholds:\n",
         model_card.table(["choice", "threshold", "FPR (PBC val)", "TPR (non-cell)"],
                  [[k, v["threshold"], model_card.pct(v["fpr"]), model_card.pct(v["tpr"])] for k, v in o["alternatives"].items()]),
         "Generated non-cell images (build/ood/noncell):\n",
         model_card.table(["image", "kind", "OOD score", "flagged"],
                  [[x["name"], x["kind"], x["score"], "yes" if x["flagged"] else "no"] for x in o["noncell_images"]])]
    if o["derived_diagnostics"]:
        L += ["Altered PBC val cells (diagnostics only, not used for the threshold; build/ood/derived):\n",
              model_card.table(["image", "alteration", "OOD score", "flagged"],
                       [[x["name"], x["kind"], x["score"], "yes" if x["flagged"] else "no"]
                        for x in o["derived_diagnostics"]])]
    L += [f"Caveat: {o['caveat']}.\n",
          f"Sanity check: majority vote of the {kn['k']} nearest references gives {model_card.pct(kn['val_vote_accuracy'])} "
          "accuracy on the val cells above (embedding quality, not the classifier's accuracy).\n",
          "## Layout\n", d["layout"]["method"] + ". " + d["layout"]["normalisation"] + ".\n",
          "Sample: " + d["sample"]["rule"] + f" (seed {d['sample']['seed']}, {d['sample']['per_class']} per class).\n",
          "## Attribution\n", d["attribution"] + ": " + d["citation"] + "\n"]
    return "\n".join(L)


if __name__ == "__main__":
    main()
