"""sweep_weight_bits.py - how few bits can the conv weights keep? Float network, weights rounded.

    /usr/bin/python3 scripts/model/sweep_weight_bits.py [--ckpt build/train/main/model.pt] [--bits 8,6,5,4]

For each bit count: the folded float network with every conv weight rounded to export.py's grid
(quant_weights), accuracy on val and test (activations stay float: the int8 activation error is
measured separately by evaluate.py through the engine), and the gzip -9 size of all conv weights.
export.py's --weight-bits default was chosen from the val column; the test column is printed too."""
import argparse
import gzip
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
import pbc_data  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ckpt", default=str(export.ROOT / "build/train/main/model.pt"))
    ap.add_argument("--bits", default="8,6,5,4")
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    cfg, _, layers, folded = export.load_folded(args.ckpt)
    data_dir = pbc_data.resolve_data_dir(args.data)
    rows = pbc_data.load_or_make_split(data_dir, verbose=False)
    images, labels = pbc_data.load_cache(data_dir, [r[0] for r in rows], cfg["size"],
                                         pbc_data.CACHE_DIR / f"pbc_S{cfg['size']}.npz", verbose=False)
    split = np.array([r[2] for r in rows])
    mean = torch.tensor(cfg["mean"]).float()[None, :, None, None]
    std = torch.tensor(cfg["std"]).float()[None, :, None, None]
    print("bits  val_acc  test_acc  conv_weights_gzip_bytes")
    for bits in [int(b) for b in args.bits.split(",")]:
        rounded, blob = {}, bytearray()
        for name, (w, b) in folded.items():
            q, s = export.quant_weights(w, bits)
            rounded[name] = (q.astype(np.float64) * s.astype(np.float64).reshape((-1,) + (1,) * (w.ndim - 1)), b)
            blob += q.tobytes()
        acc = []
        for part in ("val", "test"):
            idx = np.flatnonzero(split == part)
            with torch.no_grad():
                logits = np.concatenate([
                    export.float_forward(layers, rounded, (torch.from_numpy(images[idx[i:i + 256]]).permute(0, 3, 1, 2).float() / 255 - mean) / std)["logits"].numpy()
                    for i in range(0, len(idx), 256)])
            acc.append(float((logits.argmax(1) == labels[idx]).mean()))
        print(f"{bits:4d}  {acc[0]:.4f}   {acc[1]:.4f}    {len(gzip.compress(bytes(blob), 9))}", flush=True)


if __name__ == "__main__":
    main()
