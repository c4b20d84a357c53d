#!/usr/bin/env python3
"""Turns the JSON summaries recipe.sh wrote into the markdown table of
docs/BENCHMARKS.md ("Recipe defaults"), one row per run:

  run, epochs, cycles (as fitted), float layers, fp32 and .bnn accuracy on the
  10k test images, the drop, the held-out accuracies (float model, right after
  binarizing, after BN re-estimation, after each epoch, the snapshot kept),
  the largest fall between two epochs, the .bnn size and its ratio to the
  all-binary .bnn of the same model, and the training seconds.

  python3 scripts/bench/recipe_table.py OUT_DIR
"""
import glob
import json
import os
import sys


def last_json(path):
    with open(path) as f:
        lines = [l for l in f if l.strip().startswith("{")]
    return json.loads(lines[-1]) if lines else None


def pct(x):
    return "-" if x is None else "%.2f" % (100 * x)


def main(out):
    allbin = {}
    for p in glob.glob(os.path.join(out, "*.allbinary.json")):
        s = last_json(p)
        if s:
            allbin[os.path.basename(s["input"])] = s["output_bytes"]
    print("| run | epochs | cycles | float layers | fp32 test | .bnn test | drop (pt) | holdout: float / binarized / "
          "re-estimated | holdout per epoch | kept | worst fall (pt) | .bnn bytes | × all-binary | train s |")
    print("|---|---:|---|---|---:|---:|---:|---|---|---|---:|---:|---:|---:|")
    for p in sorted(glob.glob(os.path.join(out, "*.json"))):
        if p.endswith(".allbinary.json"):
            continue
        s = last_json(p)
        if not s or s.get("event") != "summary" or not s.get("verify"):
            print("| %s | (no summary: see its .log) |" % os.path.basename(p)[:-5])
            continue
        v = s["verify"]
        epochs = [e["ValAcc"] for e in s.get("epochs") or []]
        fall = max([0] + [a - b for a, b in zip(epochs, epochs[1:])])
        kept = [sn for sn in s.get("snapshots") or [] if sn["kept"]]
        floats = [l["node"] for l in s.get("layers") or [] if not l["binarized"]]
        model = os.path.basename(s["input"])
        ratio = "%.3f" % (s["output_bytes"] / allbin[model]) if model in allbin else "-"
        auto = s.get("keep_float_auto")
        if auto:
            floats.append("(auto: %d rounds, %s)" % (len(auto["rounds"]), "met" if auto["reached"] else "out of reach"))
        print("| %s | %d | %s | %s | %s | %s | %.2f | %s / %s / %s | %s | %s | %.2f | %d | %s | %.0f |" % (
            os.path.basename(p)[:-5], len(epochs), " + ".join("%.3g" % c for c in s.get("cycles") or []),
            ", ".join(floats) or "none", pct(v["reference_accuracy"]), pct(v["accuracy"]), 100 * v["drop"],
            pct(s.get("float_holdout_accuracy")), pct(s.get("binarized_accuracy")), pct(s.get("reestimated_accuracy")),
            ", ".join(pct(a) for a in epochs), ", ".join("ep %.3g: %s" % (k["epoch"], pct(k["holdout_accuracy"])) for k in kept),
            100 * fall, s["output_bytes"], ratio, s.get("train_seconds") or 0))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/recipe")
