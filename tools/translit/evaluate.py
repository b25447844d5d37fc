#!/usr/bin/python3
"""Held-out accuracy of the transliteration model, through transformers-cpp's translation pipeline (the
product, not torch): every held-out word of tests/fixtures/translit/held_out.tsv (never seen in training;
the reference is ICU's transform, tools/translit/words.py), fp32 and q8. Prints exact words and
characters right (1 - edit distance / reference length, summed over the words) and the first mistakes.

  /usr/bin/python3 tools/translit/evaluate.py [--model DIR] [--cli build/transformers-cpp] [--words N]
"""
import argparse
import json
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = ROOT / "tests/fixtures/translit/held_out.tsv"


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def held_out(n):
    pairs = [line.split("\t") for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line]
    return pairs[:n] if n else pairs


def transliterate(cli, model, dtype, words):
    r = subprocess.run([cli, "run", "translation", "--model", model, "--dtype", dtype, "--json", "--batch-size", "64"],
                       input="\n".join(words) + "\n", capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"transformers-cpp failed: {r.stderr}")
    return [json.loads(line)[0]["translation_text"] for line in r.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "tests/fixtures/models/translit-ru-latn"))
    ap.add_argument("--cli", default=str(ROOT / "build/transformers-cpp"))
    ap.add_argument("--words", type=int, default=0, help="only the first N held-out words (default all)")
    a = ap.parse_args()
    pairs = held_out(a.words)
    words = [w for w, _ in pairs]
    report = {"model": a.model, "held_out_words": len(pairs)}
    for dtype in ("fp32", "q8"):
        start = time.time()
        out = transliterate(a.cli, a.model, dtype, words)
        secs = time.time() - start
        if len(out) != len(pairs):
            raise SystemExit(f"{dtype}: {len(out)} outputs for {len(pairs)} words")
        exact = sum(o == ref for o, (_, ref) in zip(out, pairs))
        dist = sum(edit_distance(o, ref) for o, (_, ref) in zip(out, pairs))
        chars = sum(len(ref) for _, ref in pairs)
        wrong = [(w, ref, o) for o, (w, ref) in zip(out, pairs) if o != ref]
        report[dtype] = {"words_exact": exact / len(pairs), "characters": 1 - dist / chars, "seconds": round(secs, 1),
                         "first_mistakes": [f"{w} -> {o} (ICU: {ref})" for w, ref, o in wrong[:10]]}
        print(f"{dtype}: words exactly right {exact}/{len(pairs)} = {100 * exact / len(pairs):.2f}%, "
              f"characters {100 * (1 - dist / chars):.3f}% ({dist} edits over {chars}), {secs:.1f} s", flush=True)
        for line in report[dtype]["first_mistakes"]:
            print("   ", line)
    return report


if __name__ == "__main__":
    main()
