"""map_layout.py - the reference map's geometry: the fixed-seed sample of training cells, L2 normalisation,
the 2-D t-SNE layout and the app's kNN placement rule (PLACEMENT_RULE, the same rule as web/refmap.js)."""
import numpy as np

from engine_runs import CLASSES

PLACEMENT_RULE = (
    "Let q be the new cell's embedding (the engine's embedding output) divided by its L2 norm (leave it all-zero if "
    "the norm is 0). For every reference row r_i (float16 -> float32, already L2-normalised) the cosine similarity is "
    "s_i = dot(q, r_i). Take the k = {k} references with the largest s_i (ties: lower index first). Map position: "
    "x = sum(w_i * x_i) / sum(w_i), y likewise, with w_i = max(s_i, 0) over those k (if all w_i are 0, use the "
    "plain mean of their x, y). OOD score = 1 - mean(s_i) over the same k. The cell is flagged as 'not like the "
    "PBC training cells' when the OOD score is greater than ood.threshold.")


# ---------------------------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------------------------
def stratified(rows, split, per_class, seed):
    """Fixed-seed sample of at most per_class files per class from one split; class order, then file name."""
    rng = np.random.RandomState(seed)
    out = []
    for ci, c in enumerate(CLASSES):
        files = sorted(r[0] for r in rows if r[2] == split and r[1] == c)
        pick = rng.permutation(len(files))[:per_class]
        out += [(f, ci) for f in sorted(files[i] for i in pick)]
    return out


# ---------------------------------------------------------------------------------------------
# geometry and scores
# ---------------------------------------------------------------------------------------------
def l2n(e):
    n = np.linalg.norm(e, axis=1, keepdims=True)
    return np.where(n > 0, e / np.where(n > 0, n, 1), 0.0)


def knn_place(q, ref, xy, k):
    """The app's rule (PLACEMENT_RULE), vectorised: q rows already L2-normalised, ref float32 rows."""
    s = q @ ref.T
    idx = np.argsort(-s, axis=1, kind="stable")[:, :k]
    sk = np.take_along_axis(s, idx, 1)
    w = np.maximum(sk, 0)
    ws = w.sum(1, keepdims=True)
    w = np.where(ws > 0, w / np.where(ws > 0, ws, 1), 1.0 / k)
    pos = np.einsum("nk,nkd->nd", w, xy[idx])
    return pos, 1 - sk.mean(1), idx


def tsne_2d(x, seed, perplexity):
    from sklearn.manifold import TSNE
    perp = float(min(perplexity, max(2.0, (len(x) - 1) / 3.0)))
    ts = TSNE(n_components=2, init="pca", random_state=seed, perplexity=perp, learning_rate="auto", n_jobs=1)
    y = ts.fit_transform(x.astype(np.float32))
    y = y - y.min(0)
    span = float(y.max())
    y = y / (span if span > 0 else 1.0)
    y += (1 - y.max(0)) / 2  # centre the shorter axis; both axes share one scale
    return y, perp
