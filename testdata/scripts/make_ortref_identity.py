#!/usr/bin/python3
"""Writes internal/ortref/testdata/identity.onnx: one Identity node per element
type that internal/ortref exchanges with onnxruntime (float32, float64,
float16, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool), with
a dynamic shape, so its tests can check the byte layout of every type.

  /usr/bin/python3 testdata/scripts/make_ortref_identity.py
"""

import onnx
from onnx import TensorProto, helper

TYPES = ["float32", "float64", "float16", "int8", "uint8", "int16", "uint16",
         "int32", "uint32", "int64", "uint64", "bool"]
PROTO = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE, "float16": TensorProto.FLOAT16,
         "int8": TensorProto.INT8, "uint8": TensorProto.UINT8, "int16": TensorProto.INT16,
         "uint16": TensorProto.UINT16, "int32": TensorProto.INT32, "uint32": TensorProto.UINT32,
         "int64": TensorProto.INT64, "uint64": TensorProto.UINT64, "bool": TensorProto.BOOL}


def main():
    nodes, ins, outs = [], [], []
    for t in TYPES:
        ins.append(helper.make_tensor_value_info("in_" + t, PROTO[t], ["a", "b"]))
        outs.append(helper.make_tensor_value_info("out_" + t, PROTO[t], ["a", "b"]))
        nodes.append(helper.make_node("Identity", ["in_" + t], ["out_" + t], name="id_" + t))
    graph = helper.make_graph(nodes, "identity_types", ins, outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="make_ortref_identity.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, "internal/ortref/testdata/identity.onnx")


if __name__ == "__main__":
    main()
