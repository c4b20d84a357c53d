#!/usr/bin/python3
"""Write opset 18-21 versions of some ResNet families (testdata/models/families)
for TestFamilies, and single-node models of the op forms that opsets 18-21
changed (testdata/onnx/opsets) for infer's TestOpsets18to21.

Debian's python3-onnx (1.12) knows opsets up to 17, so its version_converter
stops there: a family below 17 is converted to 17 with it, then raised by
hand to the target opset, rewriting each node whose form changed on the way
(the Reduce ops other than ReduceSum take `axes` as an input from 18). The
outputs are unchanged, so the family's input and PyTorch output are copied.
IR versions follow ONNX's releases: opset 18 came with IR 8, 19 and 20 with
IR 9, 21 with IR 10. onnxruntime (internal/ortref) is the reference for
both sets; the onnx checker of 1.12 cannot check them.

    /usr/bin/python3 testdata/scripts/export_opsets.py
"""
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, version_converter

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FAMILIES = os.path.join(ROOT, "models", "families")
SINGLES = os.path.join(ROOT, "onnx", "opsets")
IR = {18: 8, 19: 9, 20: 9, 21: 10}
# (source family, target opset): which forms each exercises.
UPGRADES = [
    ("se_silu_op17", 18),         # ReduceMean's axes input
    ("wrn_mcdonnell_op11", 19),   # Pad 19, AveragePool 19 (dilations), ConstantOfShape, Shape
    ("cifar_option_a_op13", 21),  # Pad/Reshape/Cast/ConstantOfShape/Constant/Transpose at 21
    ("tv_bottleneck_op17", 21),   # a torchvision ResNet at the newest opset covered
]
REDUCE_AXES_INPUT = {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
                     "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare"}


def raise_opset(model, target):
    """Raises an opset-17 model to target (18..21), rewriting changed forms."""
    graph = model.graph
    for i, node in enumerate(graph.node):
        if node.op_type in REDUCE_AXES_INPUT and target >= 18:
            axes = [a for a in node.attribute if a.name == "axes"]
            if axes:
                name = "%s_axes_%d" % (node.op_type, i)
                graph.initializer.append(numpy_helper.from_array(np.array(axes[0].ints, np.int64), name))
                node.attribute.remove(axes[0])
                del node.input[1:]
                node.input.append(name)
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            imp.version = target
    model.ir_version = IR[target]
    return model


def upgrade_families():
    for source, target in UPGRADES:
        model = onnx.load(os.path.join(FAMILIES, source + ".onnx"))
        if model.opset_import[0].version < 17:
            model = version_converter.convert_version(model, 17)
        model = raise_opset(model, target)
        name = source.rsplit("_op", 1)[0] + "_op%d" % target
        onnx.save(model, os.path.join(FAMILIES, name + ".onnx"))
        for suffix in (".input.npy", ".torch_output.npy"):
            shutil.copyfile(os.path.join(FAMILIES, source + suffix), os.path.join(FAMILIES, name + suffix))
        print(name, os.path.getsize(os.path.join(FAMILIES, name + ".onnx")), "bytes")


def single(name, opset, op, x_shape, consts=(), attrs=None, n_out=1, out_type=TensorProto.FLOAT):
    """One node: input X of x_shape (random in the test), constant inputs
    (None leaves an input empty), outputs Y0.. of out_type."""
    inits, names = [], ["X"]
    for j, c in enumerate(consts):
        if c is None:
            names.append("")
            continue
        inits.append(numpy_helper.from_array(np.asarray(c), "C%d" % j))
        names.append("C%d" % j)
    outs = ["Y%d" % k for k in range(n_out)]
    node = helper.make_node(op, names, outs, name=name, **(attrs or {}))
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info(o, out_type, None) for o in outs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="export_opsets.py")
    model.ir_version = IR[opset]
    onnx.save(model, os.path.join(SINGLES, name + ".onnx"))


def i64(*v):
    return np.array(v, np.int64)


def singles():
    os.makedirs(SINGLES, exist_ok=True)
    x4 = [2, 3, 5, 6]
    # Reduce ops: axes is an input from 18 (ReduceMax/ReduceMin widen types at 20).
    for op in sorted(REDUCE_AXES_INPUT):
        single(op.lower() + "_axes_18", 18, op, x4, [i64(1, -1)], {"keepdims": 0})
    single("reducemean_noaxes_18", 18, "ReduceMean", x4)
    single("reducemean_noop_18", 18, "ReduceMean", x4, [], {"noop_with_empty_axes": 1})
    single("reducemax_axes_20", 20, "ReduceMax", x4, [i64(2)])
    single("reducemin_axes_20", 20, "ReduceMin", x4, [i64(0, 3)], {"keepdims": 0})
    # Pad: axes input from 18, wrap mode from 19.
    single("pad_axes_18", 18, "Pad", x4, [i64(1, 2, 2, 1), np.array(0.5, np.float32), i64(2, -1)])
    single("pad_axes_reflect_18", 18, "Pad", x4, [i64(1, 0, 2, 1), None, i64(-2, 3)], {"mode": "reflect"})
    single("pad_wrap_19", 19, "Pad", x4, [i64(0, 0, 1, 2, 0, 0, 2, 1)], {"mode": "wrap"})
    single("pad_axes_edge_21", 21, "Pad", x4, [i64(1, 2), None, i64(3)], {"mode": "edge"})
    # Split: num_outputs from 18 (the last chunk is smaller when uneven).
    single("split_num_outputs_18", 18, "Split", [2, 7, 4], [], {"axis": 1, "num_outputs": 3}, n_out=3)
    single("split_num_outputs_even_18", 18, "Split", [2, 6, 4], [], {"axis": -2, "num_outputs": 2}, n_out=2)
    single("split_input_18", 18, "Split", [2, 7, 4], [i64(2, 5)], {"axis": 1}, n_out=2)
    # Resize: axes and keep_aspect_ratio_policy from 18, half_pixel_symmetric from 19.
    single("resize_axes_sizes_18", 18, "Resize", x4, [None, None, i64(8, 9)],
           {"axes": [2, 3], "mode": "linear"})
    single("resize_not_larger_18", 18, "Resize", x4, [None, None, i64(7, 20)],
           {"axes": [2, 3], "keep_aspect_ratio_policy": "not_larger", "mode": "nearest"})
    single("resize_not_smaller_18", 18, "Resize", x4, [None, None, i64(7, 20)],
           {"axes": [2, 3], "keep_aspect_ratio_policy": "not_smaller", "mode": "linear"})
    single("resize_scales_axes_18", 18, "Resize", x4, [None, np.array([2.0, 0.5], np.float32)],
           {"axes": [3, 2], "mode": "nearest", "nearest_mode": "floor"})
    single("resize_half_pixel_symmetric_19", 19, "Resize", x4, [None, np.array([1, 1, 1.7, 0.6], np.float32)],
           {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"})
    single("resize_cubic_19", 19, "Resize", x4, [None, None, i64(2, 3, 9, 4)],
           {"mode": "cubic", "coordinate_transformation_mode": "half_pixel_symmetric"})
    # AveragePool: dilations from 19.
    single("averagepool_dilations_19", 19, "AveragePool", [2, 3, 9, 8], [],
           {"kernel_shape": [3, 2], "dilations": [2, 3], "strides": [1, 2], "pads": [1, 0, 2, 1],
            "count_include_pad": 0})
    single("averagepool_dilations_ceil_19", 19, "AveragePool", [2, 3, 9, 8], [],
           {"kernel_shape": [2, 2], "dilations": [2, 2], "strides": [2, 2], "ceil_mode": 1,
            "count_include_pad": 1, "pads": [1, 1, 0, 0]})
    # Ops whose newer versions only widen the type lists.
    single("cast_19", 19, "Cast", x4, [], {"to": TensorProto.DOUBLE}, out_type=TensorProto.DOUBLE)
    single("cast_21", 21, "Cast", x4, [], {"to": TensorProto.FLOAT16}, out_type=TensorProto.FLOAT16)
    single("shape_start_end_21", 21, "Shape", x4, [], {"start": 1, "end": -1}, out_type=TensorProto.INT64)
    single("size_21", 21, "Size", x4, out_type=TensorProto.INT64)
    single("flatten_21", 21, "Flatten", x4, [], {"axis": -2})
    single("reshape_allowzero_21", 21, "Reshape", x4, [i64(0, -1, 10)], {"allowzero": 0})
    single("identity_21", 21, "Identity", x4)
    single("transpose_21", 21, "Transpose", x4, [], {"perm": [0, 2, 3, 1]})
    single("squeeze_21", 21, "Squeeze", [2, 1, 5, 1], [i64(-1)])
    single("unsqueeze_21", 21, "Unsqueeze", x4, [i64(0, 5)])
    single("gelu_tanh_20", 20, "Gelu", x4, [], {"approximate": "tanh"})
    single("gelu_20", 20, "Gelu", x4)
    single("mish_18", 18, "Mish", x4)
    single("equal_19", 19, "Equal", x4, [np.zeros((1, 1, 1, 6), np.float32)], out_type=TensorProto.BOOL)


if __name__ == "__main__":
    upgrade_families()
    singles()
