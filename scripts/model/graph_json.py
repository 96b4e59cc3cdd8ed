#!/usr/bin/env python3
"""Print a bloodcell model file's graph as JSON, for writers in other languages (export_tflite.mjs).

    /usr/bin/python3 scripts/model/graph_json.py models/bloodcell.bin > graph.json

{"name", "classes", "subclasses", "input_size", "values": [[h, w, c, scale, zp], ...], "ops": [...]}
Each op is bcmodel's dict; arrays are {"dtype", "shape", "b64"} (little-endian, C order), weights OIHW.
The file is read through bcmodel.Graph.from_bytes, so a writer never parses the format itself.
"""
import base64
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bcmodel  # noqa: E402


def array(a):
    a = np.ascontiguousarray(a)
    return {"dtype": a.dtype.str.lstrip("<|"), "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}


def graph_json(g):
    ops = [{k: (array(v) if isinstance(v, np.ndarray) else v) for k, v in op.items()} for op in g.ops]
    return {"name": g.name, "classes": g.classes, "subclasses": g.subclasses, "input_size": g.input_size,
            "values": [list(v) for v in g.values], "ops": ops}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: graph_json.py MODEL")
    try:
        g = bcmodel.Graph.from_bytes(Path(sys.argv[1]).read_bytes())
    except (OSError, ValueError) as e:
        sys.exit(f"graph_json.py: cannot read model {sys.argv[1]}: {e}")
    json.dump(graph_json(g), sys.stdout, default=lambda v: v.item())   # NumPy scalars (value zero points)


if __name__ == "__main__":
    main()
