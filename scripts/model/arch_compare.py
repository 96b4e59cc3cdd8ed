"""arch_compare.py - the architecture comparison of models/TRAINING.md: one row per training run.

    /usr/bin/python3 scripts/model/arch_compare.py RUN_DIR... [--tecom DIR] [--jobs 2]

Each RUN_DIR holds a train.py output (model.pt, metrics.json). Per run: the float EMA network's PBC val and test
accuracy (val from metrics.json; test over the whole test split, which a --limit-per-class run did not see in
full), its Tecom accuracy scored strictly over the 8 classes (torch, on the
engine's preprocessing), MACs and parameters; and for a BatchNorm network also the int8 model (export.py into
RUN_DIR/bloodcell.bin): PBC test and Tecom through the native engine, and wasm ms per image
(scripts/bench/bench_wasm.mjs, forward only, median, in node). A GroupNorm network has no int8 model (the engine
has no GroupNorm op), which the row says. Prints one markdown table; Tecom is measured, never chosen on.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
import engine_runs as er  # noqa: E402
from model import CellNet, count_macs, count_params  # noqa: E402
from robustness import TECOM_DEFAULT, FloatNet, engine_predict, tecom_items  # noqa: E402

PY = "/usr/bin/python3"


def engine_acc(cli, model, items, jobs):
    """int8 accuracy through the native engine (robustness.engine_predict: the same CLI run)."""
    model_bytes, _ = er.check_model(model)
    args = SimpleNamespace(cli=cli, model=model, jobs=jobs, backend="xnnpack", tta=False)
    pred = engine_predict(args, model_bytes, [p for p, _ in items])
    return float((pred == np.array([c for _, c in items])).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--data", default="../shared/data/pbc")
    ap.add_argument("--tecom", default=TECOM_DEFAULT)
    ap.add_argument("--cli", default="build/native/bloodcell")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    for run in map(Path, args.runs):
        for f in ("model.pt", "metrics.json"):
            if not (run / f).is_file():
                er.fail(f"{run}: no {f} (a train.py output folder holds model.pt and metrics.json)")
    cli, data_dir = er.resolve(args.cli), er.resolve(args.data).resolve()
    er.check_cli(cli)
    split = er.select(er.read_split(), "test")
    er.check_data(data_dir, split)
    test = [(str(data_dir / f), ci) for f, ci in split]
    tecom = tecom_items(er.resolve(args.tecom).resolve())
    image = sorted((ROOT / "tests" / "fixtures" / "images").glob("*.jpg"))[0]
    peak = ROOT / "build" / "wasm" / "peak.cjs"
    if not peak.exists():   # bench_wasm.mjs reads the dot-product peak from it (as scripts/bench/bench.sh builds it)
        subprocess.run(["emcc", "-std=c99", "-O3", "-msimd128", str(ROOT / "scripts" / "bench" / "peak_wasm.c"),
                        "-sENVIRONMENT=node", "-sMODULARIZE", "-sSINGLE_FILE", "-sEXPORTED_FUNCTIONS=_bc_peak_dot",
                        "-o", str(peak)], check=True)
    rows = []
    for run in map(Path, args.runs):
        ck = run / "model.pt"
        metrics = json.loads((run / "metrics.json").read_text())
        fnet = FloatNet(ck)
        arch = fnet.cfg["arch"]
        net = CellNet(arch)
        y = np.array([c for _, c in tecom])
        tecom_f = float((fnet.predict([p for p, _ in tecom]) == y).mean())
        test_f = float((fnet.predict([p for p, _ in test]) == np.array([c for _, c in test])).mean())
        row = {"run": str(run), "arch": arch.get("name", "cellnet"), "block": arch.get("block", "basic"),
               "norm": arch.get("norm", "bn"), "macs_m": count_macs(net, fnet.cfg["size"]) / 1e6,
               "params_m": count_params(net) / 1e6, "val_f": metrics["val"]["accuracy"],
               "test_f": test_f, "tecom_f": tecom_f,
               "epochs": metrics.get("config", {}).get("epochs"),
               "limit": metrics.get("config", {}).get("limit_per_class")}
        if row["norm"] == "bn":
            out = run / "bloodcell.bin"
            subprocess.run([PY, str(HERE / "export.py"), "--ckpt", str(ck), "--out", str(out), "--parity", str(run / "model-parity.bin")], check=True,
                           stdout=subprocess.DEVNULL)
            row["test_q"] = engine_acc(cli, out, test, args.jobs)
            row["tecom_q"] = engine_acc(cli, out, tecom, args.jobs)
            js = run / "bench_wasm.json"
            subprocess.run(["node", str(ROOT / "scripts" / "bench" / "bench_wasm.mjs"), str(out), str(image), "--json",
                            str(js)], check=True, stdout=subprocess.DEVNULL)
            row["wasm_ms"] = json.loads(js.read_text())["forward_ms_median"]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    pct = lambda v: "-" if v is None else f"{100 * v:.2f}%"  # noqa: E731
    print("| run | block | norm | epochs / images per class | MACs | params | PBC val (float) | PBC test float / int8 "
          "| Tecom float / int8 | wasm ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        q = "wasm_ms" in r   # a GroupNorm network has no int8 model
        test_q, tecom_q = (pct(r["test_q"]), pct(r["tecom_q"])) if q else ("- (no int8: GroupNorm)", "-")
        wasm = f"{r['wasm_ms']:.2f}" if q else "-"
        print(f"| `{r['run']}` | {r['block']} | {r['norm']} | {r['epochs']} / {r['limit'] or 'all'} | "
              f"{r['macs_m']:.1f} M | {r['params_m']:.3f} M | {pct(r['val_f'])} | {pct(r['test_f'])} / {test_q} | "
              f"{pct(r['tecom_f'])} / {tecom_q} | {wasm} |")

if __name__ == "__main__":
    main()
