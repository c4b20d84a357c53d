#!/usr/bin/python3
"""Dump ONNX's own operator schemas (ai.onnx domain) as JSON for the op
layer's test (ir/schema/schema_onnx_test.go): for every op and every
version at which it changed, the input and output arity and each
attribute's name, type, whether it is required, and its default.

Run with Debian's python3-onnx (1.12: opsets up to 17):
    /usr/bin/python3 testdata/scripts/dump_onnx_schemas.py > ir/schema/testdata/onnx_schemas.json
"""
import json
import sys

import onnx.defs as defs
import onnx.helper as helper

TYPES = {1: "float", 2: "int", 3: "string", 4: "tensor", 5: "graph", 6: "floats",
         7: "ints", 8: "strings", 9: "tensors", 10: "graphs", 11: "sparse_tensor",
         12: "sparse_tensors", 13: "type_proto", 14: "type_protos"}


def default(a):
    if not a.default_value.name:
        return None
    return plain(helper.get_attribute_value(a.default_value))


def plain(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, (int, float, str)):
        return v
    return str(type(v).__name__)  # tensors and graphs: only the kind


def main():
    out = {}
    for s in defs.get_all_schemas_with_history():
        if s.domain not in ("", "ai.onnx") or s.deprecated:
            continue
        entry = {
            "inputs": [s.min_input, s.max_input],
            "outputs": [s.min_output, s.max_output],
            "attributes": {
                a.name: {"type": TYPES[int(a.type)], "required": a.required, "default": default(a)}
                for a in s.attributes.values()
            },
        }
        out.setdefault(s.name, {})[str(s.since_version)] = entry
    json.dump({"onnx": defs.onnx_opset_version(), "ops": out}, sys.stdout, indent=None, sort_keys=True, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
