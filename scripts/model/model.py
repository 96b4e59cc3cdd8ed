"""CellNet: a small ResNet-like classifier restricted to ops the int8 engine supports.

Ops used (and nothing else):
  * ConvBNAct: Conv2d (bias=False) -> BatchNorm2d -> optional ReLU / ReLU6
    (BN is folded into the conv at export);
  * BasicBlock: conv1 (ConvBNAct, ReLU) -> conv2 (ConvBNAct, no act);
    shortcut = identity or ConvBNAct 1x1 (no act); out = ReLU(conv2 + shortcut);
    (arch["block"] = "basic", the default; the other families, for the architecture comparison of
    models/TRAINING.md: "plain" = the same two convs with ReLU and no shortcut, VGG-style; "ir" = MobileNetV2's
    inverted residual: 1x1 expand (x arch["expand"], ReLU) -> 3x3 depthwise (ReLU) -> 1x1 project, + identity
    when the shape allows);
  * arch["norm"] = "bn" (default, folds into the int8 convs) or "gn" (GroupNorm, 8 groups; float only: the
    engine has no GroupNorm op, so such a model is measured in torch and not exported);
  * MaxPool2d (optional, after the stem);
  * global average pool -> exactly one nn.Linear(C, 8 + sub-classes) (class activation maps
    are fc.weight @ last feature map).

export_layers(model) lists the graph in forward order for the exporter.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 8

# Default architecture. stem: list of (out_ch, kernel, stride);
# stages: list of (out_ch, n_blocks, first_stride).
DEFAULT_ARCH = {
    "name": "cellnet",
    "stem": [(32, 3, 2), (48, 3, 2)],
    "stem_pool": None,              # or (kernel, stride) for a MaxPool2d after the stem
    # A 128-wide last stage (0.75 M params, fits the page's 1 MB gzip budget) measured 97.88% int8
    # test accuracy, under the 98.0% bar: see models/TRAINING.md, "What was tried".
    "stages": [(48, 1, 1), (96, 1, 2), (192, 2, 2)],
    "act": "relu",
    "num_classes": NUM_CLASSES,
}


def _make_act(act):
    if act is None:
        return None
    if act == "relu":
        return nn.ReLU(inplace=True)
    if act == "relu6":
        return nn.ReLU6(inplace=True)
    raise ValueError(f"unsupported activation {act!r}")


class ConvBNAct(nn.Module):
    """Conv2d(bias=False) + BatchNorm2d + optional ReLU/ReLU6 (act in {None,'relu','relu6'})."""

    def __init__(self, cin, cout, kernel=3, stride=1, padding=None, groups=1, act="relu", norm="bn"):
        super().__init__()
        if padding is None:
            padding = kernel // 2
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout) if norm == "bn" else nn.GroupNorm(8, cout)
        self.act_name = act
        self.act = _make_act(act)

    def forward(self, x):
        x = self.bn(self.conv(x))
        return self.act(x) if self.act is not None else x


class BasicBlock(nn.Module):
    """ResNet basic block: out = act(conv2(conv1(x)) + shortcut(x)); kind "plain" drops the shortcut and
    puts the activation on conv2 instead."""

    def __init__(self, cin, cout, stride=1, act="relu", norm="bn", kind="basic"):
        super().__init__()
        self.kind = kind
        self.conv1 = ConvBNAct(cin, cout, 3, stride, act=act, norm=norm)
        self.conv2 = ConvBNAct(cout, cout, 3, 1, act=None if kind == "basic" else act, norm=norm)
        if kind == "basic" and (stride != 1 or cin != cout):
            self.shortcut = ConvBNAct(cin, cout, 1, stride, padding=0, act=None, norm=norm)
        else:
            self.shortcut = None          # identity (basic) or none (plain)
        self.post_act_name = act if kind == "basic" else None
        self.post_act = _make_act(self.post_act_name)
        if kind == "basic":
            nn.init.zeros_(self.conv2.bn.weight)  # residual branch starts as identity

    def forward(self, x):
        if self.kind == "plain":
            return self.conv2(self.conv1(x))
        s = x if self.shortcut is None else self.shortcut(x)
        y = self.conv2(self.conv1(x)) + s
        return self.post_act(y) if self.post_act is not None else y


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand (act) -> 3x3 depthwise (act) -> 1x1 project; + x when shapes match."""

    def __init__(self, cin, cout, stride=1, act="relu", norm="bn", expand=4):
        super().__init__()
        hid = cin * expand
        self.kind = "ir"
        self.expand = ConvBNAct(cin, hid, 1, 1, padding=0, act=act, norm=norm)
        self.dw = ConvBNAct(hid, hid, 3, stride, groups=hid, act=act, norm=norm)
        self.project = ConvBNAct(hid, cout, 1, 1, padding=0, act=None, norm=norm)
        self.residual = stride == 1 and cin == cout
        if self.residual:
            nn.init.zeros_(self.project.bn.weight)

    def forward(self, x):
        y = self.project(self.dw(self.expand(x)))
        return x + y if self.residual else y


class CellNet(nn.Module):
    def __init__(self, arch=None):
        super().__init__()
        arch = dict(DEFAULT_ARCH if arch is None else arch)
        self.arch = arch
        act = arch.get("act", "relu")
        norm, kind = arch.get("norm", "bn"), arch.get("block", "basic")
        layers, cin = [], 3
        for cout, k, s in arch["stem"]:
            layers.append(ConvBNAct(cin, cout, k, s, act=act, norm=norm))
            cin = cout
        self.stem = nn.Sequential(*layers)
        sp = arch.get("stem_pool")
        self.stem_pool = nn.MaxPool2d(sp[0], sp[1], padding=sp[0] // 2) if sp else None
        blocks = []
        for cout, n, stride in arch["stages"]:
            for i in range(n):
                st = stride if i == 0 else 1
                blocks.append(InvertedResidual(cin, cout, st, act, norm, arch.get("expand", 4)) if kind == "ir"
                              else BasicBlock(cin, cout, st, act, norm, kind))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.num_features = cin
        # the 8 class logits, then one logit per sub-class (scripts/model/pbc_data.py: SUBCLASS_LIST), each
        # sub-class softmax taken within its class only
        self.fc = nn.Linear(cin, arch.get("num_classes", NUM_CLASSES) + arch.get("num_subclasses", 0))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.normal_(self.fc.weight, std=0.01)
        nn.init.zeros_(self.fc.bias)

    def features(self, x):
        """Last feature map (N, C, h, w) before global average pooling."""
        x = self.stem(x)
        if self.stem_pool is not None:
            x = self.stem_pool(x)
        return self.blocks(x)

    def forward(self, x):
        f = self.features(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(f, 1), 1))

    def cam(self, x):
        """Class activation maps (N, classes, h, w): fc.weight . features + bias."""
        f = self.features(x)
        return torch.einsum("kc,nchw->nkhw", self.fc.weight, f) + self.fc.bias[None, :, None, None]


def export_layers(model):
    """The network in forward order as a list of dicts (tensor names are strings,
    'input' is the normalised image):
      {"op": "conv", "name", "module": ConvBNAct (with .conv, .bn), "input", "output", "act"}
      {"op": "add", "name", "inputs": [a, b], "output", "act"}   (act applied after the add)
      {"op": "maxpool", "name", "kernel", "stride", "padding", "input", "output"}
      {"op": "gap", "name", "input", "output"}
      {"op": "fc", "name", "module": nn.Linear, "input", "output"}
    """
    ops = []
    cur = "input"

    def conv(name, m, inp):
        ops.append({"op": "conv", "name": name, "module": m, "input": inp,
                    "output": name, "act": m.act_name})
        return name

    for i, m in enumerate(model.stem):
        cur = conv(f"stem.{i}", m, cur)
    if model.stem_pool is not None:
        p = model.stem_pool
        ops.append({"op": "maxpool", "name": "stem_pool", "kernel": p.kernel_size,
                    "stride": p.stride, "padding": p.padding, "input": cur, "output": "stem_pool"})
        cur = "stem_pool"
    if model.arch.get("norm", "bn") != "bn":
        raise ValueError("only BatchNorm folds into the int8 convs; a GroupNorm model is measured in float")
    for i, b in enumerate(model.blocks):
        pre = f"blocks.{i}"
        block_in = cur
        if b.kind == "ir":
            h = conv(f"{pre}.expand", b.expand, block_in)
            h = conv(f"{pre}.dw", b.dw, h)
            h = conv(f"{pre}.project", b.project, h)
            if b.residual:
                ops.append({"op": "add", "name": f"{pre}.add", "inputs": [h, block_in], "output": f"{pre}.add", "act": None})
                h = f"{pre}.add"
            cur = h
            continue
        if b.kind == "plain":
            cur = conv(f"{pre}.conv2", b.conv2, conv(f"{pre}.conv1", b.conv1, block_in))
            continue
        h = conv(f"{pre}.conv1", b.conv1, block_in)
        h = conv(f"{pre}.conv2", b.conv2, h)
        s = block_in if b.shortcut is None else conv(f"{pre}.shortcut", b.shortcut, block_in)
        ops.append({"op": "add", "name": f"{pre}.add", "inputs": [h, s],
                    "output": f"{pre}.add", "act": b.post_act_name})
        cur = f"{pre}.add"
    ops.append({"op": "gap", "name": "gap", "input": cur, "output": "gap"})
    ops.append({"op": "fc", "name": "fc", "module": model.fc, "input": "gap", "output": "logits"})
    return ops


def count_macs(model, size):
    """Multiply-accumulates of one forward pass at size x size (convs + fc)."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            total[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total[0] += m.in_features * m.out_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    model.train(was_training)
    for h in hs:
        h.remove()
    return total[0]


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def describe(model, size):
    """Human-readable layer table with output shapes, MACs and params."""
    shapes = {}
    x = torch.zeros(1, 3, size, size)
    hooks = []
    for name, m in model.named_modules():
        if isinstance(m, (ConvBNAct, nn.MaxPool2d, nn.Linear)):
            hooks.append(m.register_forward_hook(lambda mod, i, o, n=name: shapes.__setitem__(n, tuple(o.shape[1:]))))
    model.eval()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    lines = []
    for op in export_layers(model):
        if op["op"] == "conv":
            c = op["module"].conv
            shp = shapes[op["name"]]
            macs = shp[0] * shp[1] * shp[2] * c.in_channels // c.groups * c.kernel_size[0] * c.kernel_size[1]
            params = c.weight.numel() + 2 * c.out_channels
            lines.append(f"{op['name']:22s} conv {c.kernel_size[0]}x{c.kernel_size[1]} s{c.stride[0]} "
                         f"{c.in_channels:4d}->{c.out_channels:4d} act={op['act'] or '-':5s} out {shp} "
                         f"MACs {macs / 1e6:6.2f}M params {params}")
        elif op["op"] == "add":
            lines.append(f"{op['name']:22s} add {op['inputs']} act={op['act'] or '-'}")
        elif op["op"] == "fc":
            fc = op["module"]
            lines.append(f"{op['name']:22s} fc {fc.in_features}->{fc.out_features}")
        else:
            lines.append(f"{op['name']:22s} {op['op']}")
    lines.append(f"total: {count_macs(model, size) / 1e6:.1f} M MACs at {size}x{size}, "
                 f"{count_params(model) / 1e6:.3f} M params")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    s = int(sys.argv[1]) if len(sys.argv) > 1 else 128
    print(describe(CellNet(), s))
