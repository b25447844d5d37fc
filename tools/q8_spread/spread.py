#!/usr/bin/python3
"""Measures how far a quantized (q8) model's outputs move between ONNX Runtime's int8 GEMM kernels.

ONNX Runtime picks its int8 MatMul kernel from the CPU: with AVX-512 VNNI, AVX-VNNI or AMX the u8*s8
products accumulate exactly in 32 bits; with AVX2 (or AVX-512BW without VNNI) pairs of products are summed
with 16-bit saturation (vpmaddubsw), so the same q8 model gives other numbers. This runs the real
`transformers-cpp` binary over a corpus natively and under `qemu-x86_64 -cpu Haswell` (an AVX2+FMA CPU
without AVX-512/VNNI: ONNX Runtime takes its AVX2 path), once with raw logits and once with softmax
scores, and prints the largest differences, beside the q8-vs-fp32 error of the same model.
The tolerance of the quantized goldens (tests/pipelines/golden_test.cpp) is derived from its output
(docs/testing.md).

usage: /usr/bin/python3 tools/q8_spread/spread.py [--model DIR] [--cli build/transformers-cpp] [--json]
needs: qemu-user (Debian) for the emulated AVX2 path; this machine's own path is the other one.
"""
import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def corpus():
    texts = []
    goldens = json.loads((ROOT / "tests/fixtures/golden/pipelines.json").read_text())
    for c in goldens["cases"]:
        inp = c["input"]
        texts.extend(inp if isinstance(inp, list) else [inp])
    texts.extend(json.loads((ROOT / "tools/use_lite/reference_tfjs.json").read_text())["sentences"])
    edge = json.loads((ROOT / "tests/fixtures/tokenizers/corpus.json").read_text())["texts"]
    texts.extend(edge.values())
    seen, out = set(), []
    for t in texts:  # one text per stdin line: no newlines, no empty lines, no duplicates
        t = " ".join(t.split())
        if t and t not in seen:
            seen.add(t)
            out.append(t)
    return out


def run(cli, model, dtype, texts, prefix, fn):
    cmd = prefix + [str(cli), "run", "text-classification", "--model", str(model), "--dtype", dtype,
                    "--top-k", "all", "--function-to-apply", fn, "--json"]
    res = subprocess.run(cmd, input="\n".join(texts) + "\n", capture_output=True, text=True, check=True)
    rows = json.loads(res.stdout)
    # label -> value per text, so that a change of order does not hide a change of value
    return [{l["label"]: l["score"] for l in row} for row in rows], [[l["label"] for l in row] for row in rows]


def max_diff(a, b):
    return max(abs(x[k] - y[k]) for x, y in zip(a, b) for k in x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "tests/fixtures/models/tiny-bert-sentiment"))
    ap.add_argument("--cli", default=str(ROOT / "build/transformers-cpp"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    qemu = shutil.which("qemu-x86_64")
    if not qemu:
        sys.exit("qemu-x86_64 not found: apt-get install qemu-user")
    texts = corpus()
    avx2 = [qemu, "-cpu", "Haswell"]
    result = {"texts": len(texts)}
    for fn in ("none", "softmax"):
        native, native_order = run(args.cli, args.model, "q8", texts, [], fn)
        emulated, emulated_order = run(args.cli, args.model, "q8", texts, avx2, fn)
        fp32, _ = run(args.cli, args.model, "fp32", texts, [], fn)
        fp32_avx2, _ = run(args.cli, args.model, "fp32", texts, avx2, fn)
        result[fn] = {
            "q8_native_vs_avx2": max_diff(native, emulated),
            "q8_native_vs_fp32": max_diff(native, fp32),
            "q8_avx2_vs_fp32": max_diff(emulated, fp32),
            "fp32_native_vs_avx2": max_diff(fp32, fp32_avx2),
            "label_order_changes": sum(a != b for a, b in zip(native_order, emulated_order)),
        }
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{len(texts)} texts, model {args.model}")
    for fn in ("none", "softmax"):
        r = result[fn]
        what = "logits" if fn == "none" else "softmax scores"
        print(f"{what}: max |q8 native - q8 AVX2| {r['q8_native_vs_avx2']:.5f}, "
              f"max |q8 - fp32| native {r['q8_native_vs_fp32']:.5f} / AVX2 {r['q8_avx2_vs_fp32']:.5f}, "
              f"max |fp32 native - fp32 AVX2| {r['fp32_native_vs_avx2']:.2e}, "
              f"label order changes {r['label_order_changes']}")


if __name__ == "__main__":
    main()
