"""calibration.py - metrics and calibration of the engine's logits: softmax, NLL, expected calibration error,
per-class metrics, the temperature fit and the app's "unidentified" threshold (THRESHOLD_RULE)."""
import numpy as np

from engine_runs import CLASSES

ECE_BINS = 15
T_RANGE = (0.3, 5.0)
TARGET_ACC = 0.90
THRESHOLD_RULE = (
    "On VAL, with the calibrated probabilities (softmax(logits / T), T as written into the model file), fit an "
    "isotonic (monotone increasing) regression of 'prediction is correct' on the max probability. The threshold is "
    "the smallest val max-probability at which this estimated accuracy reaches 90%, rounded down to 3 decimals. "
    "A prediction whose max probability is below the threshold is shown as 'unidentified': at such confidences "
    "fewer than 90% of val predictions are correct. If the estimate never reaches 90% the threshold is 1.0 "
    "(everything unidentified).")


# ---------------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------------
def softmax(logits, T=1.0):
    z = logits / T
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def nll(logits, y, T=1.0):
    z = logits / T
    m = z.max(1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(1, keepdims=True)))[:, 0]
    return float(np.mean(lse - z[np.arange(len(y)), y])) if len(y) else float("nan")


def ece(probs, y, bins=ECE_BINS):
    """Expected calibration error of the max probability, equal-width bins over (0, 1]; also the table."""
    conf, pred = probs.max(1), probs.argmax(1)
    correct = (pred == y).astype(float)
    idx = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total, table = 0.0, []
    for b in range(bins):
        m = idx == b
        if m.any():
            gap = abs(correct[m].mean() - conf[m].mean())
            total += m.sum() / len(y) * gap
            table.append({"bin": [round(b / bins, 4), round((b + 1) / bins, 4)], "n": int(m.sum()),
                          "mean_confidence": round(float(conf[m].mean()), 4), "accuracy": round(float(correct[m].mean()), 4)})
    return float(total), table


def classification_metrics(y, pred):
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    labels = list(range(len(CLASSES)))
    p, r, f, sup = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    return {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()) if len(y) else 0.0,
        "macro_f1": float(np.mean(f)),
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(sup[i])}
                      for i, c in enumerate(CLASSES)},
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
        "confusion_matrix_axes": "rows = true class, columns = predicted class, order = classes",
    }


def fit_temperature(logits, y):
    lo, hi = T_RANGE
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), 241))
    losses = [nll(logits, y, t) for t in grid]
    i = int(np.argmin(losses))
    fine = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)], 201)
    j = int(np.argmin([nll(logits, y, t) for t in fine]))
    T = float(np.round(fine[j], 4))
    return T, (i == 0 or i == len(grid) - 1)


def choose_threshold(conf, correct, target=TARGET_ACC):
    from sklearn.isotonic import IsotonicRegression
    iso = IsotonicRegression(increasing=True, out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(conf, correct.astype(float))
    xs = np.unique(conf)
    est = iso.predict(xs)
    ok = np.nonzero(est >= target)[0]
    if len(ok) == 0:
        return 1.0
    return float(np.floor(xs[ok[0]] * 1000) / 1000)


def coverage_at(conf, correct, t):
    keep = conf >= t
    n = len(conf)
    return {"threshold": round(float(t), 4), "n": int(n), "accepted": int(keep.sum()),
            "coverage": round(float(keep.mean()), 4) if n else 0.0,
            "accuracy_accepted": round(float(correct[keep].mean()), 4) if keep.any() else "not measured (none accepted)",
            "accuracy_unidentified": round(float(correct[~keep].mean()), 4) if (~keep).any() else "not measured (none rejected)",
            "accuracy_all": round(float(correct.mean()), 4) if n else 0.0}
