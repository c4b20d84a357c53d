#!/usr/bin/env python3
"""The summary of scripts/gpu/device_check.sh: one JSON object from the
phases' files in OUT (parity.json, product_cuda.json, product_cpu.json,
go_bench.json, torch_bench.json, log.txt) and their exit codes.

usage: summary.py OUT RC_PARITY RC_PRODUCT_CUDA RC_PRODUCT_CPU RC_GO_BENCH RC_TORCH [LIBRARY_HINT]
"""
import json
import os
import sys


def load(out, name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except Exception as e:  # a phase that failed or timed out
        return {"missing": repr(e)}


def product(p):
    v = p.get("verify") or {}
    return {k: p.get(k) for k in ("binarized_accuracy", "reestimated_accuracy", "finetuned_accuracy", "train_seconds",
                                  "missing")} | {"verified_accuracy": v.get("accuracy")}


def main(argv):
    out, rca, rcb, rcb2, rcc, rcd = argv[1:7]
    hint = argv[7] if len(argv) > 7 else ""
    parity, gob, tb = load(out, "parity.json"), load(out, "go_bench.json"), load(out, "torch_bench.json")
    cuda, cpu = product(load(out, "product_cuda.json")), product(load(out, "product_cpu.json"))
    s = {"rc": {"parity": int(rca), "product_cuda": int(rcb), "product_cpu": int(rcb2), "go_bench": int(rcc),
                "torch_bench": int(rcd)},
         "library_hint_used": hint or None,
         "device": parity.get("device") or gob.get("device"), "libraries": parity.get("libraries"),
         "parity_cases": len(parity.get("parity", [])),
         "parity_failed": [r for r in parity.get("parity", []) if not r.get("ok")],
         "product": {"cuda": cuda, "cpu": cpu},
         "torch": {k: tb.get(k) for k in ("torch", "cuda", "cudnn", "device", "error")}}
    if cuda.get("verified_accuracy") is not None and cpu.get("verified_accuracy") is not None:
        s["product"]["accuracy_difference_points"] = round(100 * (cuda["verified_accuracy"] - cpu["verified_accuracy"]), 2)
    torch_by = {(r["model"], r["tf32"]): r for r in tb.get("results", [])}
    rows = []
    for g in gob.get("go", []):
        t = torch_by.get((g["model"], g["tf32"]), {})
        rows.append({"model": g["model"], "batch": g["batch"], "tf32": g["tf32"], "compressed": g["compressed"],
                     "go_images_per_s": round(g["images_per_s"], 1),
                     "torch_images_per_s": round(t.get("images_per_s", 0), 1),
                     "ratio_go_over_torch": round(g["images_per_s"] / t["images_per_s"], 3) if t.get("images_per_s") else None,
                     "go_peak_allocated_MiB": round(g["peak_allocated_bytes"] / 2**20, 1),
                     "go_peak_reserved_MiB": round(g["peak_reserved_bytes"] / 2**20, 1),
                     "torch_peak_allocated_MiB": round(t.get("peak_allocated_bytes", 0) / 2**20, 1),
                     "saved_for_backward_KiB_per_image": round(g["saved_for_backward_bytes_per_image"] / 1024, 1),
                     "go_loss_first_last": [g["first_loss"], g["last_loss"]],
                     "profile_top3": [p["op"] for p in (g.get("profile_top") or [])[:3]], "error": g.get("error")})
    s["benchmark"] = rows
    try:
        with open(os.path.join(out, "log.txt")) as f:
            s["no_gpu"] = sorted({l.strip() for l in f if "no GPU:" in l})
    except OSError:
        pass
    print(json.dumps(s, indent=1))


if __name__ == "__main__":
    main(sys.argv)
