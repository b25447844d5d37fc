#!/usr/bin/python3
"""Reference for token-classification aggregation_strategy "first" / "average" / "max" (and "simple"),
which Transformers.js 4.3.1 refuses, with the semantics of Hugging Face Python transformers'
TokenClassificationPipeline (written from its documented behaviour and source, not derived from
Transformers.js; standard library only).

Run by tools/golden/task_goldens.mjs (stdin: JSON list of case stubs {name, model, input, options,
input_ids, logits}, one input_ids/logits entry per text, logits from Transformers.js running the
fixture's ONNX graph on that single text; stdout: {name: output}). Standalone:

  /usr/bin/python3 tools/golden/aggregation_ref.py --check tests/fixtures/golden/tasks.json

recomputes every "reference": "aggregation_ref.py" case from its stored logits and compares.

Semantics implemented (HF transformers pipelines/token_classification.py, fast WordPiece tokenizer):

1. Tokens. Each text is encoded alone (no padding), [CLS] ... [SEP]. The special tokens the
   post-processor added ([CLS], [SEP]) are dropped; every other token is kept, [UNK] included.
   Per token: scores = softmax(logits) (here in float64; HF uses float32 numpy), word = the
   vocabulary string of the id ("##ing" keeps its prefix), start/end = character offsets into the
   original text (Python str indices, i.e. Unicode code points, end exclusive).
   is_subword = len(word) != len(text[start:end]) (the tokenizer's model has a
   continuing_subword_prefix, so HF takes this "word aware" rule: "##ing" (5) vs "ing" (3)).
   An [UNK] token gets word = text[start:end] and is_subword = False.
   The offsets come from this file's own BERT tokenizer (BertNormalizer clean_text /
   handle_chinese_chars / strip accents / lowercase with character alignment, BertPreTokenizer,
   greedy longest-match WordPiece); its ids must equal Transformers.js' input_ids or the run fails.
2. Words ("first" / "average" / "max" only): a token with is_subword starts no word, it joins the
   previous token's word (the first token always starts one). Per word:
     first:   label = argmax of the first token's scores, score = that token's score for it;
     average: mean of the tokens' score vectors, label = its argmax, score = its value there;
     max:     the token whose highest score is largest (the first such token on ties), its argmax
              label and score.
   word = convert_tokens_to_string(token words) (WordPiece decoder, below); start = first token's
   start, end = last token's end. "simple" skips this step: every token is its own "word".
3. Grouping (HF group_entities): walk the words in order; the tag of a label is what follows
   "B-" / "I-" (a label without such a prefix is its own tag, as "I"). A word joins the open group
   if its tag equals the previous word's tag and its prefix is not "B"; otherwise it opens a new
   group. Each group: entity_group = tag of its first word's label, score = mean of the words'
   scores, word = convert_tokens_to_string(the words), start = first word's start, end = last
   word's end. O words form groups too.
4. Filter: groups whose entity_group is in ignore_labels (default ["O"]) are dropped. The filter
   comes after grouping: an O word between B-PER and I-PER splits them into two PER groups
   (Transformers.js filters before grouping and would join them; it also drops [UNK] tokens).
   Output per text: [{entity_group, score, word, start, end}]; a list of texts gives a list of lists.

convert_tokens_to_string (tokenizers' WordPiece decoder, prefix "##", cleanup true): token i > 0
loses a leading "##" or else gets a leading space; then each token separately has " ." " ?" " !"
" ," -> "." "?" "!" ",", " ' " -> "'", and " n't" " 'm" " do not" " 's" " 've" " 're" replaced by
"n't" "'m" " don't" "'s" "'ve" "'re"; the pieces are concatenated.
"""
import argparse
import json
import math
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "tests/fixtures/models"


# ----------------------------------------------------------------------------------------------
# BERT tokenizer with offsets (the fixture's tokenizer.json: BertNormalizer, BertPreTokenizer, WordPiece)

def _is_whitespace(ch):
    return ch in "\t\n\r" or ch.isspace()


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_chinese(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or
            0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or
            0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class BertTokenizer:
    def __init__(self, tokenizer_json):
        t = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
        n, m = t["normalizer"], t["model"]
        assert t["pre_tokenizer"]["type"] == "BertPreTokenizer" and m["type"] == "WordPiece", "not a BERT tokenizer"
        assert n["type"] == "BertNormalizer" and n["clean_text"] and n["handle_chinese_chars"]
        self.lowercase = n["lowercase"]
        self.strip_accents = n["strip_accents"] if n["strip_accents"] is not None else n["lowercase"]
        self.vocab = m["vocab"]
        self.id_to_token = {i: tok for tok, i in self.vocab.items()}
        self.prefix = m["continuing_subword_prefix"]
        self.unk = m["unk_token"]
        self.max_chars = m["max_input_chars_per_word"]
        self.cls_id, self.sep_id = self.vocab["[CLS]"], self.vocab["[SEP]"]
        self.unk_id = self.vocab[self.unk]

    def normalize(self, text):
        """[(char, index of the original character it came from)]."""
        out = []
        for i, ch in enumerate(text):
            if ord(ch) in (0, 0xFFFD) or _is_control(ch):
                continue
            if _is_whitespace(ch):
                ch = " "
            pieces = unicodedata.normalize("NFD", ch) if self.strip_accents else ch
            if self.strip_accents:
                pieces = "".join(c for c in pieces if unicodedata.category(c) != "Mn")
            if self.lowercase:
                pieces = pieces.lower()
            if _is_chinese(ord(ch)):
                pieces = " " + pieces + " "
            out.extend((c, i) for c in pieces)
        return out

    def words(self, norm):
        """BertPreTokenizer: split on whitespace (dropped) and around each punctuation character."""
        words, cur = [], []
        for c, i in norm:
            if _is_whitespace(c):
                if cur:
                    words.append(cur)
                cur = []
            elif _is_punctuation(c):
                if cur:
                    words.append(cur)
                words.append([(c, i)])
                cur = []
            else:
                cur.append((c, i))
        if cur:
            words.append(cur)
        return words

    def wordpiece(self, word):
        """[(id, start, end)] of one pre-tokenized word (offsets into the original text)."""
        chars = "".join(c for c, _ in word)
        whole = [(self.unk_id, word[0][1], word[-1][1] + 1)]
        if len(chars) > self.max_chars:
            return whole
        out, start = [], 0
        while start < len(chars):
            end, found = len(chars), None
            while start < end:
                piece = chars[start:end] if start == 0 else self.prefix + chars[start:end]
                if piece in self.vocab:
                    found = piece
                    break
                end -= 1
            if found is None:
                return whole
            out.append((self.vocab[found], word[start][1], word[end - 1][1] + 1))
            start = end
        return out

    def encode(self, text):
        """ids with [CLS]/[SEP], and per id (start, end) or None for the added special tokens."""
        pieces = [p for w in self.words(self.normalize(text)) for p in self.wordpiece(w)]
        ids = [self.cls_id] + [p[0] for p in pieces] + [self.sep_id]
        offsets = [None] + [(p[1], p[2]) for p in pieces] + [None]
        return ids, offsets


def _cleanup(s):
    for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                 (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        s = s.replace(a, b)
    return s


def convert_tokens_to_string(tokens, prefix="##"):
    out = []
    for i, t in enumerate(tokens):
        if i != 0:
            t = t[len(prefix):] if t.startswith(prefix) else " " + t
        out.append(_cleanup(t))
    return "".join(out)


# ----------------------------------------------------------------------------------------------
# The pipeline's post-processing

def softmax(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    s = sum(e)
    return [v / s for v in e]


def argmax(xs):
    best = 0
    for i, x in enumerate(xs):
        if x > xs[best]:
            best = i
    return best


def pre_entities(tok, text, ids, logits):
    mine, offsets = tok.encode(text)
    if mine != ids:
        raise SystemExit(f"aggregation_ref.py: own tokenization differs from Transformers.js for {text!r}:\n"
                         f"  {mine}\n  {ids}")
    if len(logits) != len(ids):
        raise SystemExit(f"aggregation_ref.py: {len(logits)} logit rows for {len(ids)} tokens ({text!r})")
    out = []
    for idx, (tid, off) in enumerate(zip(ids, offsets)):
        if off is None:  # special_tokens_mask: [CLS] / [SEP] added by the post-processor
            continue
        start, end = off
        word = tok.id_to_token[tid]
        word_ref = text[start:end]
        is_subword = len(word) != len(word_ref)
        if tid == tok.unk_id:
            word, is_subword = word_ref, False
        out.append({"word": word, "scores": softmax(logits[idx]), "start": start, "end": end,
                    "index": idx, "is_subword": is_subword})
    return out


def aggregate_word(tokens, strategy, id2label):
    word = convert_tokens_to_string([t["word"] for t in tokens])
    if strategy == "first":
        scores = tokens[0]["scores"]
        i = argmax(scores)
        score = scores[i]
    elif strategy == "max":
        best = tokens[0]
        for t in tokens[1:]:
            if max(t["scores"]) > max(best["scores"]):
                best = t
        i = argmax(best["scores"])
        score = best["scores"][i]
    elif strategy == "average":
        n = len(tokens[0]["scores"])
        avg = [sum(t["scores"][k] for t in tokens) / len(tokens) for k in range(n)]
        i = argmax(avg)
        score = avg[i]
    else:
        raise ValueError(strategy)
    return {"entity": id2label[i], "score": score, "word": word,
            "start": tokens[0]["start"], "end": tokens[-1]["end"]}


def aggregate_words(pre, strategy, id2label):
    words, group = [], None
    for t in pre:
        if group is None:
            group = [t]
        elif t["is_subword"]:
            group.append(t)
        else:
            words.append(aggregate_word(group, strategy, id2label))
            group = [t]
    if group is not None:
        words.append(aggregate_word(group, strategy, id2label))
    return words


def get_tag(label):
    if label.startswith("B-"):
        return "B", label[2:]
    if label.startswith("I-"):
        return "I", label[2:]
    return "I", label


def group_sub_entities(ents):
    return {
        "entity_group": ents[0]["entity"].split("-", 1)[-1],
        "score": sum(e["score"] for e in ents) / len(ents),
        "word": convert_tokens_to_string([e["word"] for e in ents]),
        "start": ents[0]["start"],
        "end": ents[-1]["end"],
    }


def group_entities(ents):
    groups, cur = [], []
    for e in ents:
        if not cur:
            cur.append(e)
            continue
        bi, tag = get_tag(e["entity"])
        _, last_tag = get_tag(cur[-1]["entity"])
        if tag == last_tag and bi != "B":
            cur.append(e)
        else:
            groups.append(group_sub_entities(cur))
            cur = [e]
    if cur:
        groups.append(group_sub_entities(cur))
    return groups


def postprocess(tok, id2label, text, ids, logits, strategy, ignore_labels):
    pre = pre_entities(tok, text, ids, logits)
    if strategy == "simple":
        ents = []
        for p in pre:
            i = argmax(p["scores"])
            ents.append({"entity": id2label[i], "score": p["scores"][i], "index": p["index"],
                         "word": p["word"], "start": p["start"], "end": p["end"]})
    elif strategy in ("first", "average", "max"):
        ents = aggregate_words(pre, strategy, id2label)
    else:
        raise SystemExit(f"aggregation_ref.py: unsupported aggregation_strategy {strategy!r}")
    return [g for g in group_entities(ents) if g["entity_group"] not in ignore_labels]


def run_case(case):
    folder = MODELS / case["model"]
    tok = BertTokenizer(folder / "tokenizer.json")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    id2label = {int(k): v for k, v in config["id2label"].items()}
    opts = case["options"]
    strategy = opts.get("aggregation_strategy", "none")
    ignore = opts.get("ignore_labels", ["O"])
    texts = case["input"] if isinstance(case["input"], list) else [case["input"]]
    assert len(texts) == len(case["input_ids"]) == len(case["logits"]), case["name"]
    outs = [postprocess(tok, id2label, t, ids, lg, strategy, ignore)
            for t, ids, lg in zip(texts, case["input_ids"], case["logits"])]
    return outs if isinstance(case["input"], list) else outs[0]


def same(a, b):
    """JSON values equal, floats within 1e-12 (what --check accepts of a re-run; shared with qa_windows_ref.py)."""
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= 1e-12
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def check(path, reference="aggregation_ref.py", output_of=None):
    """Recomputes the stored cases of `reference` (output_of(case) -> output) and compares; 0 if all match."""
    output_of = output_of or run_case
    cases = [c for c in json.loads(Path(path).read_text(encoding="utf-8"))["cases"]
             if c.get("reference") == reference]
    bad = 0

    for c in cases:
        if not same(output_of(c), c["output"]):
            bad += 1
            print(f"MISMATCH {c['name']}")
    print(f"{len(cases) - bad}/{len(cases)} reference cases reproduce")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", metavar="TASKS_JSON", help="recompute the stored reference cases and compare")
    a = ap.parse_args()
    if a.check:
        sys.exit(check(a.check))
    stubs = json.load(sys.stdin)
    json.dump({c["name"]: run_case(c) for c in stubs}, sys.stdout)


if __name__ == "__main__":
    main()
