#!/usr/bin/env python3
"""Write the shipped network as ONNX, for the speed race against onnxruntime-web.

    /usr/bin/python3 scripts/model/export_onnx.py [--model models/bloodcell.bin] [--out build/onnx]

Both graphs are built from the engine's own model file, so they are the same network the app runs:
  bloodcell-float.onnx  weights dequantized to f32 (w_scale * w), f32 activations, ReLU where the
                        int8 model fuses it (an output zero point of -128 clamps real values at 0).
  bloodcell-qdq.onnx    the int8 model in QDQ form: per-channel int8 weights (axis 0), int32 biases,
                        and a QuantizeLinear/DequantizeLinear pair on every activation with the
                        model's own scales and zero points; onnxruntime fuses these into QLinearConv.
Input `input`: float32 [1, 3, S, S], already normalised ((rgb/255 - mean) / std).
Output `logits`: float32 [1, K] (before the temperature).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    sys.exit("export_onnx.py needs Debian's python3-onnx (bash scripts/install-deps.sh installs it)")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bcmodel  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OPSET = 13  # per-channel QuantizeLinear/DequantizeLinear (axis) needs 13


class OnnxGraph:
    """Accumulates nodes and initializers; value v of the engine model is the f32 tensor `v{v}`."""

    def __init__(self):
        self.nodes, self.inits = [], []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=output + "_" + op, **attrs))
        return output


def build(g, qdq):
    """ONNX model of bcmodel.Graph g; qdq=True keeps the int8 quantization as Q/DQ pairs."""
    o = OnnxGraph()
    vals = g.values

    def requant(v, x):
        """Ends value v: ReLU if its zero point is -128, then (QDQ) quantize and dequantize."""
        _, _, _, scale, zp = vals[v]
        if zp == -128:
            x = o.node("Relu", [x], f"v{v}_relu")
        if not qdq:
            return o.node("Identity", [x], f"v{v}")
        s, z = o.const(f"v{v}_scale", np.float32(scale)), o.const(f"v{v}_zp", np.int8(zp))
        q = o.node("QuantizeLinear", [x, s, z], f"v{v}_q")
        return o.node("DequantizeLinear", [q, s, z], f"v{v}")

    requant(0, "input")
    for i, op in enumerate(g.ops):
        t = op["type"]
        if t == bcmodel.CONV:
            in_scale = np.float32(vals[op["input"]][3])
            w, ws = op["w"].astype(np.int8), op["w_scale"].astype(np.float32)
            bias_scale = (in_scale * ws).astype(np.float32)
            if qdq:
                oc = w.shape[0]
                wq = o.node("DequantizeLinear", [o.const(f"w{i}_q", w), o.const(f"w{i}_s", ws),
                                                 o.const(f"w{i}_zp", np.zeros(oc, np.int8))], f"w{i}", axis=0)
                bq = o.node("DequantizeLinear", [o.const(f"b{i}_q", op["bias"].astype(np.int32)), o.const(f"b{i}_s", bias_scale),
                                                 o.const(f"b{i}_zp", np.zeros(oc, np.int32))], f"b{i}", axis=0)
            else:
                wq = o.const(f"w{i}", (w.astype(np.float32) * ws[:, None, None, None]).astype(np.float32))
                bq = o.const(f"b{i}", (op["bias"].astype(np.float64) * bias_scale).astype(np.float32))
            pt, pl, pb, pr = op["pad"]
            y = o.node("Conv", [f"v{op['input']}", wq, bq], f"conv{i}", kernel_shape=[op["kh"], op["kw"]],
                       strides=[op["sh"], op["sw"]], dilations=[op["dh"], op["dw"]], pads=[pt, pl, pb, pr],
                       group=op["groups"])
            requant(op["output"], y)
        elif t == bcmodel.ADD:
            requant(op["output"], o.node("Add", [f"v{op['a']}", f"v{op['b']}"], f"add{i}"))
        elif t == bcmodel.MAXPOOL or t == bcmodel.AVGPOOL:
            pt, pl, pb, pr = op["pad"]
            kw = dict(kernel_shape=[op["kh"], op["kw"]], strides=[op["sh"], op["sw"]], pads=[pt, pl, pb, pr])
            if t == bcmodel.AVGPOOL:
                kw["count_include_pad"] = 1
            requant(op["output"], o.node("MaxPool" if t == bcmodel.MAXPOOL else "AveragePool",
                                         [f"v{op['input']}"], f"pool{i}", **kw))
        elif t == bcmodel.GAP:
            requant(op["output"], o.node("GlobalAveragePool", [f"v{op['input']}"], f"gap{i}"))
        elif t == bcmodel.FC or t == bcmodel.LOGITS:
            in_scale = np.float32(vals[op["input"]][3])
            w = op["w"].astype(np.float32) * op["w_scale"].astype(np.float32)[:, None]
            if t == bcmodel.FC:
                b = (op["bias"].astype(np.float64) * in_scale * op["w_scale"]).astype(np.float32)
            else:
                b = op["bias"].astype(np.float32)
            flat = o.node("Flatten", [f"v{op['input']}"], f"flat{i}", axis=1)
            y = o.node("Gemm", [flat, o.const(f"w{i}", w.astype(np.float32)), o.const(f"b{i}", b)],
                       "logits" if t == bcmodel.LOGITS else f"fc{i}", transB=1)
            if t == bcmodel.FC:
                requant(op["output"], o.node("Reshape", [y, o.const(f"shape{i}", np.array([1, -1, 1, 1], np.int64))],
                                             f"fc{i}_4d"))
        else:
            raise ValueError(f"op {i}: type {t} has no ONNX mapping")

    S, K = g.input_size, len(g.classes) + len(g.subclasses)   # the logits: the classes, then any sub-classes
    graph = helper.make_graph(o.nodes, f"{g.name}-{'qdq' if qdq else 'float'}",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, S, S])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, K])], o.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="bloodcell export_onnx.py")
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models/bloodcell.bin"))
    ap.add_argument("--out", default=str(ROOT / "build/onnx"))
    a = ap.parse_args()
    try:
        g = bcmodel.Graph.from_bytes(Path(a.model).read_bytes())
    except (OSError, ValueError) as e:
        sys.exit(f"export_onnx.py: cannot read model {a.model}: {e}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for qdq, name in ((False, "bloodcell-float.onnx"), (True, "bloodcell-qdq.onnx")):
        m = build(g, qdq)
        onnx.save(m, str(out / name))
        print(f"wrote {out / name} ({(out / name).stat().st_size} bytes, {len(m.graph.node)} nodes)")


if __name__ == "__main__":
    main()
