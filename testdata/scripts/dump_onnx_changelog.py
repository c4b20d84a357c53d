#!/usr/bin/python3
"""Dump ONNX's operator schemas of opsets 18 to 21 (ai.onnx domain) as JSON
for the op layer's test (ir/schema/schema_onnx_test.go), read from ONNX's
own docs/Changelog.md, which documents every version of every op.

Debian's python3-onnx (1.12) stops at opset 17 (dump_onnx_schemas.py);
this reads the newer versions from the changelog of a later ONNX (any
release from 1.16 on, which documents opset 21): for every op version
introduced at opsets 18 to 21, its input and output arity, each
attribute's name, type, whether it is required and its default, and the
element types each type parameter allows.

The parser is checked against the python dump: with --check it parses the
versions up to 17 as well and compares them with dump_onnx_schemas.py's
output, printing any difference.

    /usr/bin/python3 testdata/scripts/dump_onnx_changelog.py onnx/docs/Changelog.md \
        > ir/schema/testdata/onnx_schemas_18_21.json
    /usr/bin/python3 testdata/scripts/dump_onnx_changelog.py --check \
        ir/schema/testdata/onnx_schemas.json onnx/docs/Changelog.md
"""
import json
import re
import sys

FIRST, LAST = 18, 21
HEAD = re.compile(r'^### <a name="([A-Za-z0-9]+)-(\d+)"></a>\*\*[^*]+\*\*( \(deprecated\))?')
SECTION = re.compile(r'^#### (Attributes|Inputs|Outputs|Type Constraints)(?: \((\d+) - ([0-9]+|&#8734;)\))?')
DT = re.compile(r'^<dt><tt>([^<]+)</tt>(.*)</dt>$')
TYPES = {"int": "int", "float": "float", "string": "string", "tensor": "tensor", "graph": "graph",
         "list of ints": "ints", "list of floats": "floats", "list of strings": "strings",
         "list of tensors": "tensors", "list of graphs": "graphs", "sparse_tensor": "sparse_tensor",
         "type_proto": "type_proto", "list of sparse_tensors": "sparse_tensors"}
INF = 2147483647


def parse_default(kind, text):
    if text is None:
        return None
    text = text.strip()
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text.strip("()"))
    if kind == "string":
        return text
    if kind in ("ints", "floats", "strings"):
        items = [x.strip().strip("'") for x in text.strip("[]").split(",") if x.strip()]
        conv = {"ints": int, "floats": float, "strings": str}[kind]
        return [conv(x) for x in items]
    return kind


def attribute(rest):
    # rest: " : int (default is 1)", " : list of ints (required)", " : float"
    m = re.match(r'^ : ([a-z_ ]+?)(?: \((required|default is (.*))\))?$', rest)
    if not m:
        raise ValueError("attribute: cannot read %r" % rest)
    kind = TYPES[m.group(1)]
    required = m.group(2) == "required"
    return {"type": kind, "required": required, "default": parse_default(kind, m.group(3))}


def parse(path, last):
    ops = {}
    cur = None
    section = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("## "):
            # only the default (ai.onnx) domain: its sections come first
            if "'" in line:
                break
            continue
        m = HEAD.match(line)
        if m:
            name, since, deprecated = m.group(1), int(m.group(2)), m.group(3)
            cur = None
            if since <= last and not deprecated:
                cur = {"attributes": {}, "inputs": None, "outputs": None, "types": {},
                       "_in": 0, "_out": 0}
                ops.setdefault(name, {})[str(since)] = cur
            section = None
            continue
        if cur is None:
            continue
        m = SECTION.match(line)
        if m:
            section = m.group(1)
            if m.group(2) is not None:
                hi = INF if m.group(3) == "&#8734;" else int(m.group(3))
                cur[section.lower()] = [int(m.group(2)), hi]
            continue
        if line.startswith("### ") or line.startswith("#### "):
            section = None
            continue
        m = DT.match(line)
        if not m or section is None:
            continue
        if section == "Attributes":
            cur["attributes"][m.group(1)] = attribute(m.group(2))
        elif section == "Inputs":
            cur["_in"] += 1
        elif section == "Outputs":
            cur["_out"] += 1
        else:
            cur["types"][m.group(1)] = re.findall(r'tensor\(([a-z0-9]+)\)', m.group(2))
    for versions in ops.values():
        for e in versions.values():
            e["inputs"] = e["inputs"] or [e["_in"], e["_in"]]
            e["outputs"] = e["outputs"] or [e["_out"], e["_out"]]
            del e["_in"], e["_out"]
    return ops


def check(python_dump, changelog):
    ref = json.load(open(python_dump))
    got = parse(changelog, ref["onnx"])
    bad = 0
    for name, versions in ref["ops"].items():
        for since, want in versions.items():
            g = got.get(name, {}).get(since)
            if g is None:
                print("missing %s-%s" % (name, since))
                bad += 1
                continue
            for key in ("inputs", "outputs"):
                if g[key] != want[key]:
                    print("%s-%s %s: changelog %s, python %s" % (name, since, key, g[key], want[key]))
                    bad += 1
            for a, w in want["attributes"].items():
                ga = g["attributes"].get(a)
                if ga is None or ga["type"] != w["type"] or ga["required"] != w["required"] or \
                        not same(ga["default"], w["default"]):
                    print("%s-%s attribute %s: changelog %s, python %s" % (name, since, a, ga, w))
                    bad += 1
            for a in set(g["attributes"]) - set(want["attributes"]):
                print("%s-%s: changelog has attribute %s" % (name, since, a))
                bad += 1
    print("%d differences" % bad)
    return bad


def same(a, b):
    if isinstance(a, float) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-4 * max(1.0, abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if a in ("tensor", "graph") and isinstance(b, str):
        return True
    return a == b


def main():
    if sys.argv[1] == "--check":
        sys.exit(1 if check(sys.argv[2], sys.argv[3]) else 0)
    ops = parse(sys.argv[1], LAST)
    out = {}
    for name, versions in ops.items():
        for since, e in versions.items():
            if int(since) >= FIRST:
                out.setdefault(name, {})[since] = e
    json.dump({"first": FIRST, "onnx": LAST, "ops": out}, sys.stdout, indent=None, sort_keys=True,
              separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
