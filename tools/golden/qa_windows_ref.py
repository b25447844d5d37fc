#!/usr/bin/python3
"""Reference for question-answering options that Transformers.js 4.3.1 lacks: `max_answer_len` and
`doc_stride` windows over long contexts (`max_seq_len` = the window length), with character offsets
(standard library only; written from the semantics below, not from the project's C++ code).

Run by tools/golden/task_goldens.mjs (stdin: JSON list of case stubs {name, model, input: {question,
context}, options, windows: [{input_ids, token_type_ids, start_logits, end_logits}]}, the logits from
Transformers.js running the fixture's ONNX graph on each window alone (batch 1, no padding); stdout:
{name: {"output", "spans": [[window, s, e], ...]}}, the spans so the caller can check each answer
against Transformers.js' own decode). Standalone:

  /usr/bin/python3 tools/golden/qa_windows_ref.py --check tests/fixtures/golden/tasks.json

recomputes every "reference": "qa_windows_ref.py" case from its stored windows and compares.

Semantics implemented:

1. Tokens. The question and the context are tokenized here, without special tokens, by
   aggregation_ref.py's BertTokenizer (the fixture's tokenizer.json: BertNormalizer with character
   alignment, BertPreTokenizer, greedy WordPiece), which also gives each context token's character
   offsets [start, end) into the context (Python str indices = Unicode code points). The windows
   built from them must equal the input_ids / token_type_ids the caller ran (built there with
   Transformers.js' tokenizer), or the run fails.
2. Windows.
   - With doc_stride: Hugging Face tokenizers' pair truncation "only_second" with stride.
     room = max_seq_len - len(question tokens) - 3 ([CLS], [SEP], [SEP]); room <= doc_stride is an
     error. The context tokens are cut into windows of `room` tokens starting at 0, step, 2*step, ...
     (step = room - doc_stride); the window that reaches the end of the context is the last one. A
     context that fits gives one window. Each window: [CLS] question [SEP] window [SEP], token type 0
     up to and including the first [SEP], 1 after. max_seq_len defaults to the tokenizer's
     model_max_length (128 for tiny-bert-qa).
   - Without doc_stride: Transformers.js' tokenizer(question, {text_pair: context, truncation: true,
     max_length: max_seq_len}): [CLS] question [SEP] context [SEP] cut at the end (the last [SEP] is
     lost too) to min(max_seq_len, model_max_length); max_seq_len defaults to model_max_length.
3. Scores per window, as Transformers.js' QuestionAnsweringPipeline does per input: positions
   1..n-1 that are <= the first [SEP] or are special tokens (the tokenizer's special added tokens:
   [PAD] [UNK] [CLS] [SEP] [MASK]) get -inf; softmax in float64 over the start and over the end
   logits separately (position 0, [CLS], included, as Transformers.js' softmax: max, exp(x - max),
   sum left to right, divide); then p[0] = 0 in both. Every (s, e) with s <= e (and, with
   max_answer_len, e - s + 1 <= max_answer_len) scores p_start[s] * p_end[e].
4. Merge: the (window, s, e) candidates of all windows sorted by score descending (ties: earlier
   window, smaller s, smaller e); walking them, a candidate is kept unless a kept one has the same
   character (start, end) (overlapping windows find the same span); the first top_k (default 1) kept.
5. Each answer {answer, score, start, end}: answer = Transformers.js' decode(ids[s..e],
   {skip_special_tokens: true}) (special tokens dropped; WordPiece decoder: tokens after the first
   lose a leading "##" or get a leading space, each then cleaned up; the joined text cleaned up again
   (clean_up_tokenization_spaces); Transformers.js' clean-up: " ." " ?" " !" " ," " ' " " n't" " 'm"
   " 's" " 've" " 're" lose their space, no " do not"); score = the float64 product; start = start
   of token s, end = end of token e. top_k 1 gives the object, top_k > 1 a list.
"""
import argparse
import json
import math
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import aggregation_ref  # noqa: E402
from aggregation_ref import MODELS, BertTokenizer  # noqa: E402


def fail(msg):
    raise SystemExit(f"qa_windows_ref.py: {msg}")


# ----------------------------------------------------------------------------------------------
# Tokenizer pieces

class Tok:
    def __init__(self, folder):
        self.bert = BertTokenizer(folder / "tokenizer.json")
        t = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        self.special_ids = {a["id"] for a in t["added_tokens"] if a["special"]}
        self.cls_id, self.sep_id = self.bert.cls_id, self.bert.sep_id
        self.model_max_length = cfg.get("model_max_length", math.inf)
        self.cleanup_spaces = cfg.get("clean_up_tokenization_spaces", True)
        d = t["decoder"]
        assert d["type"] == "WordPiece", d
        self.prefix, self.decoder_cleanup = d["prefix"], d["cleanup"]

    def pieces(self, text):
        """[(id, start, end)] without special tokens."""
        return [p for w in self.bert.words(self.bert.normalize(text)) for p in self.bert.wordpiece(w)]

    def decode(self, ids):
        tokens = [self.bert.id_to_token[i] for i in ids if i not in self.special_ids]
        out = []
        for i, t in enumerate(tokens):
            if i != 0:
                t = t[len(self.prefix):] if t.startswith(self.prefix) else " " + t
            out.append(clean_up(t) if self.decoder_cleanup else t)
        s = "".join(out)
        return clean_up(s) if self.cleanup_spaces else s


def clean_up(s):
    for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                 (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        s = s.replace(a, b)
    return s


# ----------------------------------------------------------------------------------------------
# Windows

def windows(tok, question, context, opts):
    """[(input_ids, token_type_ids, offsets)], offsets[i] = (start, end) for context tokens, else None."""
    q = [p[0] for p in tok.pieces(question)]
    c = tok.pieces(context)
    head_ids = [tok.cls_id] + q + [tok.sep_id]
    head_types = [0] * len(head_ids)
    head_offsets = [None] * len(head_ids)
    max_seq_len = opts.get("max_seq_len", tok.model_max_length)
    out = []
    if opts.get("doc_stride") is not None:
        stride = opts["doc_stride"]
        room = max_seq_len - len(q) - 3
        if room <= stride:
            fail(f"max_seq_len {max_seq_len} leaves {room} context tokens per window, not more than doc_stride {stride}")
        step = room - stride
        start = 0
        while True:
            part = c[start:start + room]
            out.append((head_ids + [p[0] for p in part] + [tok.sep_id],
                        head_types + [1] * (len(part) + 1),
                        head_offsets + [(p[1], p[2]) for p in part] + [None]))
            if start + room >= len(c):
                break
            start += step
    else:
        limit = min(max_seq_len, tok.model_max_length)
        ids = head_ids + [p[0] for p in c] + [tok.sep_id]
        types = head_types + [1] * (len(c) + 1)
        offsets = head_offsets + [(p[1], p[2]) for p in c] + [None]
        out.append((ids[:limit], types[:limit], offsets[:limit]))
    return out


# ----------------------------------------------------------------------------------------------
# Scores

def softmax(xs):
    """Transformers.js' softmax (utils/maths.js) in float64."""
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    s = 0.0
    for v in e:
        s += v
    return [v / s for v in e]


def window_candidates(tok, w, ids, start_logits, end_logits, max_answer_len):
    n = len(ids)
    if len(start_logits) != n or len(end_logits) != n:
        fail(f"window {w}: {len(start_logits)}/{len(end_logits)} logits for {n} tokens")
    sep = ids.index(tok.sep_id)
    start, end = list(start_logits), list(end_logits)
    for i in range(1, n):
        if i <= sep or ids[i] in tok.special_ids:
            start[i] = end[i] = -math.inf
    ps, pe = softmax(start), softmax(end)
    ps[0] = pe[0] = 0.0
    out = []
    for s in range(n):
        last = n if max_answer_len is None else min(n, s + max_answer_len)
        for e in range(s, last):
            out.append((ps[s] * pe[e], w, s, e))
    return out


def run_case(case, tok=None):
    tok = tok or Tok(MODELS / case["model"])
    opts = case["options"]
    inp = case["input"]
    if not (isinstance(inp, dict) and isinstance(inp["question"], str) and isinstance(inp["context"], str)):
        fail(f"{case['name']}: input must be {{question, context}} strings")
    top_k = opts.get("top_k", 1)
    max_answer_len = opts.get("max_answer_len")
    mine = windows(tok, inp["question"], inp["context"], opts)
    given = case["windows"]
    if len(mine) != len(given):
        fail(f"{case['name']}: {len(mine)} windows here, {len(given)} given")
    cands = []
    for w, ((ids, types, _), g) in enumerate(zip(mine, given)):
        if ids != g["input_ids"] or types != g["token_type_ids"]:
            fail(f"{case['name']}: window {w} differs from the caller's:\n  {ids}\n  {g['input_ids']}\n"
                 f"  {types}\n  {g['token_type_ids']}")
        cands += window_candidates(tok, w, ids, g["start_logits"], g["end_logits"], max_answer_len)
    cands.sort(key=lambda c: (-c[0], c[1], c[2], c[3]))
    answers, spans, seen = [], [], set()
    for score, w, s, e in cands:
        if len(answers) == top_k:
            break
        ids, _, offsets = mine[w]
        if offsets[s] is None or offsets[e] is None:
            fail(f"{case['name']}: answer {len(answers) + 1} (score {score}) starts or ends on a special "
                 f"token (window {w}, {s}..{e}): fewer real candidates than top_k")
        chars = (offsets[s][0], offsets[e][1])
        if chars in seen:
            continue
        seen.add(chars)
        answers.append({"answer": tok.decode(ids[s:e + 1]), "score": score, "start": chars[0], "end": chars[1]})
        spans.append([w, s, e])
    return {"output": answers[0] if top_k == 1 else answers, "spans": spans}


def check(path):
    return aggregation_ref.check(path, "qa_windows_ref.py", lambda c: run_case(c)["output"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", metavar="TASKS_JSON", help="recompute the stored reference cases and compare")
    a = ap.parse_args()
    if a.check:
        sys.exit(check(a.check))
    stubs = json.load(sys.stdin)
    toks = {}
    out = {}
    for c in stubs:
        if c["model"] not in toks:
            toks[c["model"]] = Tok(MODELS / c["model"])
        out[c["name"]] = run_case(c, toks[c["model"]])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
