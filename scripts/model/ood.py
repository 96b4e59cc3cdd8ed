"""ood.py - scoring the OOD threshold: false and true positive rates at a threshold, and the AUROC of the
OOD score between held-out PBC cells and non-cell images (ties get average ranks)."""
import numpy as np


def rates(pbc, non, t):
    return {"threshold": round(float(t), 4), "fpr": round(float((pbc > t).mean()), 4) if len(pbc) else "not measured",
            "tpr": round(float((non > t).mean()), 4) if len(non) else "not measured",
            "pbc_val_n": int(len(pbc)), "noncell_n": int(len(non))}


def auroc(pbc, non):
    a = np.concatenate([pbc, non])
    r = np.argsort(np.argsort(a, kind="stable"), kind="stable") + 1.0
    # average ranks for ties
    for v in np.unique(a):
        m = a == v
        if m.sum() > 1:
            r[m] = r[m].mean()
    rn = r[len(pbc):].sum()
    return float((rn - len(non) * (len(non) + 1) / 2) / (len(pbc) * len(non)))
