"""model_card.py - the model card's fixed text (intended use, caveats, citation) and its Markdown rendering
(MODEL_CARD.md) from the card's JSON."""
from engine_runs import CLASSES

CITATION = ('A. Acevedo, A. Merino, S. Alférez, Á. Molina, L. Boldú, J. Rodellar, "A dataset of microscopic '
            'peripheral blood cell images for development of automatic recognition systems", Data in Brief 30 '
            '(2020) 105474, doi:10.1016/j.dib.2020.105474. Mendeley Data, doi:10.17632/snkd93bnjr.1. '
            'Licence: CC BY 4.0.')
INTENDED_USE = ("Research and education only: demonstrating in-browser classification of single peripheral blood "
                "cell images of the kind found in the PBC dataset (CellaVision DM96, May-Grünwald Giemsa stain, one "
                "cell centred per image). It is NOT a medical or diagnostic device and must not be used for "
                "diagnosis, screening or treatment decisions.")
CAVEATS = [
    "The splits are image-level: the dataset carries no patient or slide ids, so near-duplicate cells from one "
    "donor may sit on both sides of a split and the test figures may be optimistic for new patients.",
    "All images come from one laboratory, one scanner (CellaVision DM96) and one staining protocol; accuracy on "
    "other microscopes, stains, magnifications or smartphone photos is not measured.",
    "Only the 8 classes of normal peripheral blood cells (plus immature granulocytes) are known to the model; "
    "blasts, abnormal lymphocytes, smudge cells, artefacts and other cell types are forced into one of the 8 "
    "classes (the unidentified threshold and the reference-map OOD score only partly catch this).",
    "About 25% of the published images are held back by the data provider and were not used here; the published "
    "PBC dataset has 17,092 images, this share 12,755.",
]


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------
def pct(v):
    return f"{100 * v:.2f}%" if isinstance(v, (int, float)) else str(v)


def num(v, d=4):
    return f"{v:.{d}f}" if isinstance(v, float) else str(v)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def confusion_md(cm):
    short = ["BA", "EO", "ERB", "IG", "LY", "MO", "NE", "PLT"]
    return table(["true \\ pred"] + short, [[f"{CLASSES[i]}"] + [str(v) for v in row] for i, row in enumerate(cm)])


def render_markdown(c):
    m, e, cal, thr = c["model"], c["int8_engine"], c["calibration"], c["unidentified_threshold"]
    fm = c["float_model"] if isinstance(c["float_model"], dict) else None
    pre = m["preprocessing"]
    L = [f"# Model card: {m['name']}\n",
         f"Generated {c['date']} by `{c['generated_by']}`. All numbers below are measured with the int8 C engine "
         "(native CLI) unless marked float. Machine-readable copy: `model-card.json`.\n"]
    if c["data"]["subset"]:
        L.append(f"> **Subset run**: at most {c['data']['limit_per_class']} images per class and split were "
                 "evaluated; these numbers are NOT the model's full-split metrics.\n")
    L += ["## Intended use\n", c["intended_use"] + "\n",
          "## Summary\n",
          table(["split", "images", "int8 accuracy", "int8 macro-F1", "float accuracy", "float macro-F1"],
                [[s, e[s]["n"], pct(e[s]["accuracy"]), pct(e[s]["macro_f1"]),
                  f"{pct(fm[s]['accuracy'])} (n={fm[s].get('n', '?')})" if fm and "accuracy" in fm.get(s, {})
                  else "not measured",
                  pct(fm[s]["macro_f1"]) if fm and "macro_f1" in fm.get(s, {}) else "not measured"]
                 for s in ("val", "test")])]
    ag = e["agreement_with_float_on_test"]
    L.append("Int8 vs float, same test prediction: " +
             (f"{pct(ag['same_prediction'])} of {ag['n']} images.\n" if isinstance(ag, dict) else ag + ".\n"))
    if fm and fm.get("carried"):
        L.append(f"> Float figures {fm['carried']}.\n")
    if fm and not fm.get("matches_model_file_preprocessing", True):
        L.append("> Warning: the float metrics file has preprocessing (size/mean/std) different from the model file; "
                 "it may belong to another training run.\n")

    L += ["## Per-class metrics (test, int8)\n",
          table(["class", "precision", "recall", "F1", "support"] + (["float recall"] if fm else []),
                [[k, num(v["precision"], 3), num(v["recall"], 3), num(v["f1"], 3), v["support"]] +
                 ([num(fm["test"]["per_class"][k]["recall"], 3)] if fm and "per_class" in fm.get("test", {}) else [])
                 for k, v in e["test"]["per_class"].items()]),
          "## Confusion matrix (test, int8; rows true, columns predicted)\n",
          confusion_md(e["test"]["confusion_matrix"]),
          "## Per-class metrics (val, int8)\n",
          table(["class", "precision", "recall", "F1", "support"],
                [[k, num(v["precision"], 3), num(v["recall"], 3), num(v["f1"], 3), v["support"]]
                 for k, v in e["val"]["per_class"].items()]),
          "## Confusion matrix (val, int8; rows true, columns predicted)\n",
          confusion_md(e["val"]["confusion_matrix"])]

    sc = c.get("subclasses_int8_test")
    if isinstance(sc, dict) and sc:
        L += ["## Sub-classes (test, int8)\n",
              "The second level the PBC file prefixes carry (band / segmented within neutrophil; promyelocyte / "
              "myelocyte / metamyelocyte within ig), called by the engine within the class it calls. Joint: class and "
              "sub-class right, over the class's test images with a known sub-class; conditional: sub-class right among "
              "those whose class is right.\n",
              table(["class", "sub-classes", "images", "joint accuracy", "conditional accuracy", "recall per sub-class"],
                    [[k, " / ".join(v["subclasses"]), v["n"], pct(v["joint_accuracy"]),
                      pct(v["conditional_accuracy"]) if v["conditional_accuracy"] is not None else "-",
                      ", ".join(f"{n} {pct(r)}" for n, r in v["recall"].items())] for k, v in sc.items()])]
    L += ["## Calibration\n",
          f"{cal['method']}. Fitted temperature **T = {cal['temperature']}**, written to: {cal['written_to']}. "
          f"The engine's probabilities are softmax(logits / T).\n",
          table(["split", "NLL (T=1)", f"NLL (T={cal['temperature']})", "ECE (T=1)", f"ECE (T={cal['temperature']})"],
                [[s, num(cal[s]["nll_T1"]), num(cal[s]["nll_T"]), num(cal[s]["ece_T1"]), num(cal[s]["ece_T"])]
                 for s in ("val", "test")]),
          f"ECE: {cal['ece_definition']}.\n",
          "Reliability on test after calibration:\n",
          table(["max-prob bin", "images", "mean confidence", "accuracy"],
                [[f"{b['bin'][0]:.3f}-{b['bin'][1]:.3f}", b["n"], num(b["mean_confidence"], 3), num(b["accuracy"], 3)]
                 for b in cal["test_reliability_T"]])]

    L += ["## Unidentified threshold (app default)\n",
          f"**{thr['value']}** on the calibrated max probability. Rule: {thr['rule']}\n",
          table(["split", "threshold", "coverage (accepted)", "accuracy of accepted", "accuracy of unidentified",
                 "accuracy of all"],
                [[s, thr[s]["threshold"], pct(thr[s]["coverage"]), pct(thr[s]["accuracy_accepted"]),
                  pct(thr[s]["accuracy_unidentified"]), pct(thr[s]["accuracy_all"])] for s in ("val", "test")]),
          "Other thresholds on test:\n",
          table(["threshold", "coverage", "accuracy of accepted"],
                [[r["threshold"], pct(r["coverage"]), pct(r["accuracy_accepted"])] for r in thr["test_table"]])]

    L += ["## Top 20 losses (test, calibrated probabilities)\n",
          table(["file", "true", "predicted", "p(true)", "p(predicted)"],
                [[f"`{r['file']}`", r["true"], r["predicted"], num(r["p_true"], 4), num(r["p_pred"], 4)]
                 for r in c["top_losses_test"]])]

    if isinstance(c.get("web_examples"), list):
        L += ["## Example images of the page (web/examples, test split)\n",
              table(["file", "true", "predicted", "confidence", "status"],
                    [[x["file"], x["class"], x.get("predicted", "error"), num(x.get("confidence", "-"), 3),
                      "error: " + x["error"] if "error" in x else ("wrong" if not x["correct"] else
                                                                    ("unidentified" if x["unidentified"] else "ok"))]
                     for x in c["web_examples"]])]

    if "reference_map" in c and isinstance(c["reference_map"].get("ood"), dict):
        rm, ood = c["reference_map"], c["reference_map"]["ood"]
        L += ["## Reference map and out-of-distribution score\n",
              f"`{rm['file']}`: {rm['points']} training-split cells on a 2-D t-SNE map. Placement and OOD rule: "
              f"{(rm.get('knn') or {}).get('rule', 'see reference-map.json')}\n",
              f"OOD threshold **{ood.get('threshold')}** ({ood.get('threshold_rule', '')}). "
              "Details in REFERENCE_MAP.md.\n"]
        if isinstance(ood.get("rates"), dict):
            r = ood["rates"]
            L.append(table(["set", "images", "flagged as not-a-PBC-cell"],
                           [["PBC val cells (false positives)", r.get("pbc_val_n"), pct(r.get("fpr"))],
                            ["generated non-cell images (true positives)", r.get("noncell_n"), pct(r.get("tpr"))]]))

    tr = c["training"]
    tlog = tr.get("log") if isinstance(tr.get("log"), dict) else None
    L += ["## Model and preprocessing\n",
          table(["field", "value"], [
              ["file", f"`{m['file']}` ({m['bytes']} bytes, sha256 `{m['sha256'][:16]}...`)"],
              ["evaluated file", f"`{m['evaluated_file']}` (same logits; only the temperature differs)"
               if m["evaluated_file"] != m["file"] else f"`{m['evaluated_file']}`"],
              ["input", f"{pre['input_size']} x {pre['input_size']} x 3, int8"],
              ["resize", pre["resize"]],
              ["colour", pre["colour"]],
              ["mean (R, G, B)", ", ".join(f"{v:.6f}" for v in pre["mean_rgb"])],
              ["std (R, G, B)", ", ".join(f"{v:.6f}" for v in pre["std_rgb"])],
              ["normalisation", pre["normalisation"]],
              ["temperature in file", m["temperature_in_file"]],
              ["ops / MACs", f"{m.get('ops', 'not measured')} / {m.get('macs', 'not measured')}"],
              ["int8 weights", m["int8_weight_params"]],
              ["distinct weight values per layer", ", ".join(map(str, m.get("weight_levels", [])))],
              ["file size gzip -9 (bytes)", m.get("gzip_bytes", "not measured")],
              ["embedding dim", m.get("embedding_dim", "not measured")],
              ["classes (index order)", ", ".join(m["classes"])]]),
          "## Engine speed\n",
          table(["field", "value"], [
              ["wall time per image (CLI, decode + preprocess + int8 inference)",
               f"{e['timing']['per_image_ms']} ms" if isinstance(e['timing']['per_image_ms'], float)
               else e['timing']['per_image_ms']],
              ["CPU time per image", f"{e['timing']['cpu_per_image_ms']} ms"
               if isinstance(e['timing']['cpu_per_image_ms'], float) else e['timing']['cpu_per_image_ms']],
              ["kernels", f"{e['timing']['backend']} (single thread)"],
              ["images timed", e["timing"]["images_timed"]],
              ["machine", e["timing"]["machine"]],
              ["load average at end", " ".join(str(v) for v in e["timing"]["load_average_at_end"])],
              ["note", e["timing"]["note"]]]),
          "## Training\n",
          table(["field", "value"], [
              ["total time", tlog["total_time"] if tlog else "not measured"],
              ["machine", tlog["machine"] if tlog else "not measured"],
              ["threads", tlog.get("threads", "not recorded") if tlog else "not measured"],
              ["epochs", tr.get("epochs", f"{tlog['epochs_logged']} logged (run unfinished?)"
                                if tlog and "epochs_logged" in tlog else "not measured")],
              ["command", f"`{tlog['command']}`" if tlog and "command" in tlog else "not recorded"],
              ["recipe", "models/TRAINING.md"]]),
          "## Data\n",
          c["data"]["citation"] + "\n",
          "Split sizes (image-level, `models/split.csv`):\n",
          table(["class", "train", "val", "test"],
                [[k, c["data"]["split_sizes"]["train"][k], c["data"]["split_sizes"]["val"][k],
                  c["data"]["split_sizes"]["test"][k]] for k in CLASSES + ["total"]]),
          f"Evaluated here: val {c['data']['evaluated']['val']}, test {c['data']['evaluated']['test']} images "
          f"(limit per class: {c['data']['limit_per_class']}).\n",
          "## Caveats\n",
          "".join(f"- {x}\n" for x in c["caveats"])]
    return "\n".join(L)

