"""evaluate.py - evaluate the int8 engine (native CLI) on the val and test splits, calibrate the
softmax temperature, choose the app's "unidentified" threshold and write the model card.

    /usr/bin/python3 scripts/model/evaluate.py [--model models/bloodcell.bin] [--data ../shared/data/pbc]
        [--limit-per-class N] [--out models] [--jobs 1] [--write-model FILE | --no-write-model]
        [--train-dir build/train/main] [--cli build/native/bloodcell]

Relative paths are resolved against the repository root (not the current directory).

What it does
  1. Runs `bloodcell classify --json --embedding` (the C int8 engine, not torch) on every val and
     test image of models/split.csv (or N per class and split with --limit-per-class; a fixed-seed
     stratified subset).  Raw logits and embeddings are cached in build/eval-cache/, keyed by the
     model bytes (temperature excluded) and the CLI binary, so a rerun or build_reference_map.py
     reuses them.
  2. From the raw logits: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix
     (rows true, columns predicted) on val and test.
  3. Temperature scaling: T minimising the val NLL of softmax(logits / T) (log-spaced grid over
     0.3..5, then a finer grid around the best); ECE (15 equal-width bins of the max probability)
     and NLL on test at T = 1 and at T.  T is written into the model file (the engine's softmax
     uses it): in place into --model, or into --write-model FILE, or not at all with
     --no-write-model.  With --limit-per-class the model is only rewritten if --write-model is given.
  4. The 20 largest test losses (lowest calibrated p(true)).
  5. "Unidentified" threshold for the app: see THRESHOLD_RULE below.
  6. Writes OUT/model-card.json and OUT/MODEL_CARD.md (the same numbers as Markdown tables).
     If OUT/reference-map.json exists (scripts/model/build_reference_map.py), its OOD check is summarised.

Exit status: 0 ok, 2 on a missing data folder / CLI binary / model or another fatal error."""
import argparse
import csv
import datetime
import json
import os
import platform
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bcmodel  # noqa: E402

from calibration import (THRESHOLD_RULE, TARGET_ACC, ECE_BINS, T_RANGE, softmax, nll, ece,  # noqa: E402
                         classification_metrics, fit_temperature, choose_threshold, coverage_at)
from engine_runs import (REPO, CLASSES, SPLIT_CSV, fail, resolve, rel, read_split, select,  # noqa: E402
                         check_data, check_cli, check_model, model_facts, run_engine)
from model_card import CITATION, INTENDED_USE, CAVEATS, render_markdown  # noqa: E402

EXAMPLES_JSON = REPO / "web" / "examples" / "examples.json"


# ---------------------------------------------------------------------------------------------
# training outputs
# ---------------------------------------------------------------------------------------------
def float_metrics(train_dir, g):
    mp = train_dir / "metrics.json"
    if not mp.is_file():
        return None, None
    try:
        m = json.loads(mp.read_text())
    except ValueError as e:
        print(f"warning: {mp} is not valid JSON: {e}", file=sys.stderr)
        return None, None
    keep = ("n", "accuracy", "macro_f1", "per_class", "confusion_matrix", "confusion_matrix_axes")
    cfg = m.get("config", {})
    out = {"source": rel(mp), "model": m.get("model", "not recorded"),
           "val": {k: m["val"][k] for k in keep if k in m.get("val", {})},
           "test": {k: m["test"][k] for k in keep if k in m.get("test", {})}}
    same = (cfg.get("size") == g.input_size and cfg.get("mean") is not None and
            np.allclose(cfg["mean"], g.mean, atol=1e-5) and np.allclose(cfg["std"], g.std, atol=1e-5))
    out["matches_model_file_preprocessing"] = bool(same)
    if not same:
        print(f"warning: {mp} has size/mean/std that differ from the model file: the float metrics may belong to "
              "another run", file=sys.stderr)
    train = {"source": rel(mp)}
    for k in ("total_time_s", "train_time_s"):
        if k in m:
            train[k] = round(float(m[k]), 1)
    for k in ("epochs", "batch_size", "lr", "wd", "label_smoothing", "ema_decay", "balance", "seed", "macs", "params",
              "limit_per_class", "smoke", "arch", "preproc"):
        if k in cfg:
            train[k] = cfg[k]
    return out, train


def training_log(train_dir):
    lp = train_dir / "log.txt"
    if not lp.is_file():
        return None
    lines = lp.read_text(errors="replace").splitlines()
    info = {"source": rel(lp)}
    for line in lines:
        if line.startswith("# train.py"):
            info["command"] = line[2:].strip()
        m = re.search(r"total time (\d+:\d\d:\d\d)", line)
        if m:
            info["total_time"] = m.group(1)
        m = re.search(r"threads (\d+)", line)
        if m and "threads" not in info:
            info["threads"] = int(m.group(1))
        m = re.match(r"\s*(machine|host|cpu|device)\s*[:=]?\s+(.*)$", line, re.I)
        if m and "machine" not in info:
            info["machine"] = m.group(2).strip()
        m = re.search(r"epoch\s+(\d+)/(\d+)", line)
        if m:
            info["epochs_logged"] = f"{m.group(1)}/{m.group(2)}"
    info.setdefault("total_time", "not measured (no 'total time' line in log.txt: the run may be unfinished)")
    info.setdefault("machine", "not recorded in log.txt")
    return info


def this_machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}"


def agreement_with_float(train_dir, files, pred):
    p = train_dir / "test_predictions.csv"
    if not p.is_file():
        return "not measured (no test_predictions.csv)"
    with open(p, newline="") as f:
        fp = {r["file"]: r["pred"] for r in csv.DictReader(f)}
    both = [(fp[fl], CLASSES[pr]) for fl, pr in zip(files, pred) if fl in fp]
    if not both:
        return "not measured (no common files)"
    return {"n": len(both), "same_prediction": round(float(np.mean([a == b for a, b in both])), 4),
            "source": rel(p)}


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def evaluate_split(items, res, data_dir):
    files, y, logits, errors = [], [], [], []
    for f, ci in items:
        r = res[str(data_dir / f)]
        if "error" in r:
            errors.append({"file": f, "error": r["error"]})
            continue
        files.append(f)
        y.append(ci)
        logits.append(r["logits"])
    return files, np.array(y, int), np.array(logits, np.float64).reshape(-1, len(CLASSES)), errors


def subclass_metrics(items, res, data_dir):
    """Sub-classes the file prefixes carry (pbc_data.SUBCLASS_LIST), through the engine's "subclass" call: per
    class, among its images with a known sub-class, joint accuracy (class and sub-class right) and conditional
    accuracy (sub-class right among those whose class is right), per sub-class recall, confusion."""
    import pbc_data
    out = {}
    for c, subs in pbc_data.SUBCLASSES.items():
        names = [n for _, n in subs]
        rows = []
        for f, ci in items:
            j = pbc_data.subclass_of(f)
            if j < 0 or pbc_data.SUBCLASS_LIST[j][0] != c:
                continue
            r = res[str(data_dir / f)]
            if "error" in r:
                continue
            if "label" not in r:
                raise RuntimeError(f"the engine's result for {f} lacks its call (a cache without labels)")
            sub = (r.get("subclass") or {}).get("label") if r.get("label") == c else None
            rows.append((pbc_data.SUBCLASS_LIST[j][1], r.get("label") == c, sub))
        if not rows:
            continue
        right = [t for t in rows if t[1]]
        out[c] = {"subclasses": names, "n": len(rows), "class_right": len(right),
                  "joint_accuracy": round(sum(t[1] and t[2] == t[0] for t in rows) / len(rows), 4),
                  "conditional_accuracy": round(sum(t[2] == t[0] for t in right) / len(right), 4) if right else None,
                  "recall": {n: round(sum(t[2] == n for t in right if t[0] == n) / max(1, sum(t[0] == n for t in right)), 4)
                             for n in names},
                  "confusion_matrix": [[sum(t[0] == a and t[2] == b for t in right) for b in names] for a in names],
                  "confusion_axes": "rows true sub-class, columns called, among the images whose class is right"}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/bloodcell.bin")
    ap.add_argument("--data", default="../shared/data/pbc")
    ap.add_argument("--limit-per-class", type=int, default=None, help="at most N images per class and split")
    ap.add_argument("--out", default="models")
    ap.add_argument("--cli", default="build/native/bloodcell")
    ap.add_argument("--train-dir", default="build/train/main")
    ap.add_argument("--jobs", type=int, default=1, help="parallel CLI processes (the CLI is single-threaded)")
    ap.add_argument("--backend", choices=("own", "xnnpack"), default="own",
                    help="engine kernels: own (default; the code the wasm build runs) or xnnpack (faster; bit-identical "
                         "results)")
    ap.add_argument("--write-model", default=None, help="write the calibrated model here instead of rewriting --model")
    ap.add_argument("--no-write-model", action="store_true", help="do not write the temperature anywhere")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--float-from-card", default=None,
                    help="when --train-dir has no metrics: carry the float model, training and float-agreement "
                         "sections from this earlier card (a model whose class part is unchanged, e.g. after "
                         "subclass_head.py); they say where they came from")
    args = ap.parse_args()

    model, data_dir, out, cli = resolve(args.model), resolve(args.data).resolve(), resolve(args.out), resolve(args.cli)
    train_dir = resolve(args.train_dir)
    check_cli(cli)
    model_bytes, g = check_model(model)
    rows = read_split()
    if not data_dir.is_dir():
        check_data(data_dir, [])
    split_sizes = {s: {c: sum(1 for r in rows if r[2] == s and r[1] == c) for c in CLASSES} for s in ("train", "val", "test")}
    for s in split_sizes:
        split_sizes[s]["total"] = sum(split_sizes[s].values())
    items = {s: select(rows, s, args.limit_per_class) for s in ("val", "test")}
    check_data(data_dir, items["val"] + items["test"])

    print(f"model {rel(model)} ({g.name}, {g.input_size} px), data {data_dir}, val {len(items['val'])}, "
          f"test {len(items['test'])} images", file=sys.stderr)
    all_paths = [data_dir / f for s in ("val", "test") for f, _ in items[s]]
    examples = []
    if EXAMPLES_JSON.is_file():
        # the single-cell examples (the field photos, "kind": "field", go through the locator and have no class)
        examples = [e for e in json.loads(EXAMPLES_JSON.read_text())
                    if e.get("kind") != "field" and "class" in e and (EXAMPLES_JSON.parent / e["file"]).is_file()]
        all_paths += [EXAMPLES_JSON.parent / e["file"] for e in examples]
    res, timing = run_engine(cli, model, model_bytes, all_paths, jobs=args.jobs, use_cache=not args.no_cache,
                             backend=args.backend)

    S = {}
    for s in ("val", "test"):
        files, y, logits, errors = evaluate_split(items[s], res, data_dir)
        if len(y) == 0:
            fail(f"no {s} image could be classified (first error: {errors[0] if errors else 'none'})")
        S[s] = dict(files=files, y=y, logits=logits, errors=errors)
        if errors:
            print(f"warning: {len(errors)} {s} image(s) failed, e.g. {errors[0]}", file=sys.stderr)

    # ---- metrics from the raw logits
    for s in S:
        S[s]["pred"] = S[s]["logits"].argmax(1)
        S[s]["metrics"] = classification_metrics(S[s]["y"], S[s]["pred"])
        print(f"{s}: accuracy {S[s]['metrics']['accuracy']:.4f}  macro-F1 {S[s]['metrics']['macro_f1']:.4f}  "
              f"(n={len(S[s]['y'])})", file=sys.stderr)

    # ---- temperature
    T, at_edge = fit_temperature(S["val"]["logits"], S["val"]["y"])
    if at_edge:
        print(f"warning: the NLL minimum is at the edge of the search range {T_RANGE}: T = {T}", file=sys.stderr)
    calib = {"method": "temperature scaling, T minimises the val NLL of softmax(logits / T); log-spaced grid over "
                       f"{T_RANGE[0]}..{T_RANGE[1]} then a finer grid around the best",
             "fitted_on": "val", "temperature": T, "at_search_edge": bool(at_edge), "ece_bins": ECE_BINS,
             "ece_definition": "sum over 15 equal-width bins of the max probability of (n_bin / n) * |accuracy - mean "
                               "max probability|"}
    for s in ("val", "test"):
        e1, _ = ece(softmax(S[s]["logits"], 1.0), S[s]["y"])
        eT, tab = ece(softmax(S[s]["logits"], T), S[s]["y"])
        calib[s] = {"nll_T1": round(nll(S[s]["logits"], S[s]["y"], 1.0), 4),
                    "nll_T": round(nll(S[s]["logits"], S[s]["y"], T), 4),
                    "ece_T1": round(e1, 4), "ece_T": round(eT, 4)}
        if s == "test":
            calib["test_reliability_T"] = tab
    print(f"temperature T = {T}: test ECE {calib['test']['ece_T1']:.4f} -> {calib['test']['ece_T']:.4f}, "
          f"test NLL {calib['test']['nll_T1']:.4f} -> {calib['test']['nll_T']:.4f}", file=sys.stderr)

    # ---- write T into the model file
    if args.no_write_model:
        target = None
    elif args.write_model:
        target = resolve(args.write_model)
    elif args.limit_per_class is not None:
        target = None
        print("note: --limit-per-class given: the model file is not rewritten (use --write-model FILE)", file=sys.stderr)
    else:
        target = model
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        new_bytes = bcmodel.set_temperature(str(model), T, str(target))
        check = [str(data_dir / f) for f in S["test"]["files"][:3]]
        p = subprocess.run([str(cli), "classify", "--json", "--model", str(target), "--", *check],
                           capture_output=True, text=True)
        if p.returncode != 0 or len(p.stdout.splitlines()) != len(check):
            fail(f"the engine does not read the rewritten model {rel(target)}: {p.stderr.strip()[:300]}")
        for line in p.stdout.splitlines():
            r = json.loads(line)
            want = softmax(np.array([r["logits"]], np.float64), T)[0]
            got = np.array([r["probs"][c] for c in CLASSES])
            if np.abs(want - got).max() > 2e-5:
                fail(f"the engine's probabilities with the rewritten model do not match softmax(logits / {T})")
        calib["written_to"] = rel(target)
        print(f"wrote temperature {T} into {rel(target)} (checked against the engine)", file=sys.stderr)
        model_bytes_final, final_path = new_bytes, target
    else:
        calib["written_to"] = "not written"
        model_bytes_final, final_path = model_bytes, model

    # ---- calibrated probabilities, top losses, threshold
    for s in S:
        S[s]["probs"] = softmax(S[s]["logits"], T)
        S[s]["conf"] = S[s]["probs"].max(1)
        S[s]["correct"] = (S[s]["pred"] == S[s]["y"])
    te = S["test"]
    p_true = te["probs"][np.arange(len(te["y"])), te["y"]]
    order = np.argsort(p_true, kind="stable")[:20]
    top_losses = [{"file": te["files"][i], "true": CLASSES[te["y"][i]], "predicted": CLASSES[te["pred"][i]],
                   "p_true": round(float(p_true[i]), 4), "p_pred": round(float(te["conf"][i]), 4),
                   "loss": round(float(-np.log(max(p_true[i], 1e-12))), 4)} for i in order]

    thr = choose_threshold(S["val"]["conf"], S["val"]["correct"])
    threshold = {"value": thr, "rule": THRESHOLD_RULE, "target_accuracy": TARGET_ACC,
                 "applies_to": "max of softmax(logits / T) with the temperature in the model file",
                 "val": coverage_at(S["val"]["conf"], S["val"]["correct"], thr),
                 "test": coverage_at(S["test"]["conf"], S["test"]["correct"], thr),
                 "test_table": [coverage_at(S["test"]["conf"], S["test"]["correct"], t)
                                for t in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)]}
    print(f"unidentified threshold {thr}: test coverage {threshold['test']['coverage']}, accuracy of accepted "
          f"{threshold['test']['accuracy_accepted']}", file=sys.stderr)

    # ---- the page's example images (all from the test split)
    ex_out = []
    for e in examples:
        r = res[str(EXAMPLES_JSON.parent / e["file"])]
        if "error" in r:
            ex_out.append({"file": e["file"], "class": e["class"], "error": r["error"]})
            continue
        pr = softmax(np.array([r["logits"]], np.float64), T)[0]
        ex_out.append({"file": e["file"], "class": e["class"], "predicted": CLASSES[int(pr.argmax())],
                       "confidence": round(float(pr.max()), 4), "correct": CLASSES[int(pr.argmax())] == e["class"],
                       "unidentified": bool(pr.max() < thr)})
    bad_ex = [x["file"] for x in ex_out if not x.get("correct") or x.get("unidentified")]
    if bad_ex:
        print(f"note: example image(s) misclassified or below the unidentified threshold: {', '.join(bad_ex)}",
              file=sys.stderr)

    # ---- training facts and float metrics
    fm, train_cfg = float_metrics(train_dir, g)
    tlog = training_log(train_dir)
    n_img = timing["images_run"]
    timing_out = {
        "what": "time of `bloodcell classify --json --embedding` per image (file read, JPEG decode, preprocessing, "
                "int8 inference; single-threaded): wall = CLI process seconds / images, cpu = CPU seconds / images",
        "per_image_ms": round(1000 * timing["process_seconds"] / n_img, 2) if n_img else
        "not measured (all results came from the cache)",
        "cpu_per_image_ms": round(1000 * timing["cpu_seconds"] / n_img, 2) if n_img else
        "not measured (all results came from the cache)",
        "backend": timing["backend"],
        "images_timed": n_img, "parallel_processes": timing["jobs"],
        "machine": this_machine(),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "note": "the machine may have been busy with other work (e.g. training), which inflates the time"}

    carried = {}
    if not fm and args.float_from_card:
        prior_path = resolve(args.float_from_card)
        prior = json.loads(prior_path.read_text())
        src = (f"carried from the model card of {prior['model']['name']} ({prior['date']}, sha256 "
               f"{prior['model']['sha256'][:16]}...): the float network and its class rows are the same; its training "
               f"folder is not kept")
        for k in ("float_model", "training"):
            if isinstance(prior.get(k), dict):
                carried[k] = {**prior[k], "carried": src}
        agree = prior.get("int8_engine", {}).get("agreement_with_float_on_test")
        if isinstance(agree, dict):
            carried["agreement"] = {**agree, "carried": src}

    card = {
        "schema": "bloodcell-model-card-1",
        "date": datetime.date.today().isoformat(),
        "generated_by": "scripts/model/evaluate.py " + " ".join(sys.argv[1:]),
        "model": {**model_facts(cli, final_path, model_bytes_final, bcmodel.Graph.from_bytes(model_bytes_final)),
                  "evaluated_file": rel(model)},
        "intended_use": INTENDED_USE,
        "caveats": CAVEATS,
        "data": {"name": "PBC dataset (normal peripheral blood cells), training share", "citation": CITATION,
                 "licence": "CC BY 4.0", "folder": str(data_dir), "split_file": rel(SPLIT_CSV),
                 "split": "fixed stratified 70/10/20 image-level split (models/TRAINING.md)",
                 "split_sizes": split_sizes,
                 "evaluated": {s: len(S[s]["y"]) for s in S},
                 "limit_per_class": args.limit_per_class if args.limit_per_class is not None else "none (full splits)",
                 "subset": args.limit_per_class is not None,
                 "errors": {s: S[s]["errors"] for s in S}},
        "int8_engine": {"engine": f"native CLI {rel(cli)} (the C int8 engine; the wasm build runs the same code)",
                        "val": S["val"]["metrics"], "test": S["test"]["metrics"],
                        "agreement_with_float_on_test": carried.get("agreement") or
                        agreement_with_float(train_dir, S["test"]["files"], S["test"]["pred"]),
                        "timing": timing_out},
        "subclasses_int8_test": (subclass_metrics(items["test"], res, data_dir) if g.subclasses
                                 else "none (the model has no sub-classes)"),
        "float_model": fm if fm else carried.get("float_model", "not measured (no build/train/main/metrics.json)"),
        "calibration": calib,
        "unidentified_threshold": threshold,
        "top_losses_test": top_losses,
        "web_examples": ex_out if ex_out else "not measured (no web/examples/examples.json)",
        "training": carried.get("training") or {**(train_cfg or {}), **({"log": tlog} if tlog else {"log": "not measured (no log.txt)"})},
        "evaluation_machine": this_machine(),
    }
    ref = out / "reference-map.json"
    if ref.is_file():
        try:
            rm = json.loads(ref.read_text())
            card["reference_map"] = {"file": rel(ref), "points": len(rm.get("points", [])),
                                     "knn": rm.get("knn"), "ood": rm.get("ood")}
        except ValueError:
            pass

    out.mkdir(parents=True, exist_ok=True)
    (out / "model-card.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    (out / "MODEL_CARD.md").write_text(render_markdown(card))
    print(f"wrote {rel(out / 'model-card.json')} and {rel(out / 'MODEL_CARD.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
