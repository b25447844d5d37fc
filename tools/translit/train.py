#!/usr/bin/python3
"""Trains the Russian Cyrillic -> Latin (BGN/PCGN) transliteration model and writes it as a Transformers.js
model folder (docs/seed-scenario.md):

  config.json, generation_config.json, tokenizer.json, tokenizer_config.json, transliteration.json,
  onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx and their *_quantized.onnx (q8)

A Marian-style encoder-decoder (tools/fixtures/marian_model.py: post-LN, swish, sinusoidal positions, shared
embeddings) over characters: a SentencePiece-style unigram vocabulary of single characters (every Russian
letter, every letter the transform writes, the word boundary ▁) so that the tokenizer is Marian's and
Transformers.js loads it as it loads opus-mt. Data: tools/translit/words.py (fixed seed). Training is a
fixed number of steps (not a time limit) from a fixed seed on 2 threads, so a rerun on the same machine
and torch build writes the same weights; another CPU may round differently, which is why the trained folder
is committed.

  /usr/bin/python3 tools/translit/train.py [--out DIR] [--steps N]   (~20 minutes on the 2-core EPYC; needs libopenblas0-pthread)
  /usr/bin/python3 tools/translit/train.py --export-only [--checkpoint F]   the saved weights, exported again
"""
import argparse
import copy
import json
import math
import random
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "fixtures"))
import words  # noqa: E402
from marian_model import MarianMTModel, export_marian, marian_greedy, marian_ort_check  # noqa: E402
from quantize_dynamic import quantize  # noqa: E402
from torch_export import ROOT  # noqa: E402

PRODUCER = "transformers.cpp tools/translit/train.py"
OUT = ROOT / "tests/fixtures/models/translit-ru-latn"
SPACE = "\u2581"
# 512 positions, as opus-mt: the pipelines ask for up to 256 new tokens, and a call must fit the table.
SPEC = dict(d_model=128, layers=3, heads=4, ffn=512, max_pos=512)
RUSSIAN = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
# What Russian-Latin/BGN writes for those letters: Latin letters, ë/Ë, the soft and hard signs' primes ʹ ʺ
# and the middle dot that separates t·s, sh·ch, ...
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzëËʹʺ·"


def vocabulary():
    """Marian's layout: </s> 0, <unk> 1, pieces, <pad> last (also the decoder start)."""
    pieces = ["</s>", "<unk>", SPACE] + sorted(set(RUSSIAN + LATIN)) + ["<pad>"]
    return pieces, {"bos": 0, "eos": 0, "pad": len(pieces) - 1, "vocab": len(pieces)}


def tokenizer_files(pieces, t):
    special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                            "normalized": False, "special": True}
    meta = {"type": "Metaspace", "replacement": SPACE, "str_rep": SPACE, "add_prefix_space": True}
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [special(0, "</s>"), special(1, "<unk>"), special(t["pad"], "<pad>")],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": meta,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "special_tokens": {"</s>": {"id": "</s>", "ids": [0], "tokens": ["</s>"]}}},
        "decoder": meta,
        # One segmentation per text: single characters only, all equally likely.
        "model": {"type": "Unigram", "unk_id": 1, "byte_fallback": False,
                  "vocab": [[p, 0.0 if p.startswith("<") else -3.0] for p in pieces]},
    }
    cfg = {"tokenizer_class": "MarianTokenizer", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
           "model_max_length": SPEC["max_pos"] - 2, "source_lang": "ru", "target_lang": "ru-Latn"}
    return tok, cfg


def encode(text, index):
    """What the tokenizer gives (NFC, ▁ before each word, one id per character, </s>)."""
    ids = []
    for w in text.split():
        ids += [index[SPACE]] + [index.get(c, 1) for c in w]
    return ids + [0]


def model_config(t):
    s = SPEC
    return {
        "_comment": "trained by tools/translit/train.py: Russian Cyrillic -> Latin, BGN/PCGN (transliteration.json)",
        "activation_dropout": 0.0, "activation_function": "swish", "architectures": ["MarianMTModel"],
        "attention_dropout": 0.0, "bos_token_id": t["bos"], "d_model": s["d_model"],
        "decoder_attention_heads": s["heads"], "decoder_ffn_dim": s["ffn"], "decoder_layers": s["layers"],
        "decoder_start_token_id": t["pad"], "decoder_vocab_size": t["vocab"], "dropout": 0.0,
        "encoder_attention_heads": s["heads"], "encoder_ffn_dim": s["ffn"], "encoder_layers": s["layers"],
        "eos_token_id": t["eos"], "forced_eos_token_id": t["eos"], "is_encoder_decoder": True,
        "max_position_embeddings": s["max_pos"], "model_type": "marian", "normalize_before": False,
        "normalize_embedding": False, "num_hidden_layers": s["layers"], "pad_token_id": t["pad"],
        "scale_embedding": True, "share_encoder_decoder_embeddings": True, "static_position_embeddings": True,
        "tie_word_embeddings": False, "use_cache": True, "vocab_size": t["vocab"],
    }


def generation_config(t):
    # As Helsinki-NLP/opus-mt-*'s (greedy: Transformers.js 4.3.1 has no beams).
    return {"_from_model_config": False, "bad_words_ids": [[t["pad"]]], "bos_token_id": t["bos"],
            "decoder_start_token_id": t["pad"], "eos_token_id": t["eos"], "forced_eos_token_id": t["eos"],
            "max_length": 64, "pad_token_id": t["pad"], "transformers_version": "4.46.0"}


def batches(pairs, index, t, size, rng):
    """Shuffled batches of (src, src_mask, decoder_input, labels); labels -100 at padding. Words of similar
    length go together (sorted within pools of 64 batches, the batches then shuffled): half the padding."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    pool = 64 * size
    groups = []
    for p in range(0, len(order), pool):
        chunk = sorted(order[p:p + pool], key=lambda i: len(pairs[i][0]))
        groups += [chunk[b:b + size] for b in range(0, len(chunk) - size + 1, size)]
    rng.shuffle(groups)
    for group in groups:
        src = [encode(pairs[i][0], index) for i in group]
        tgt = [encode(pairs[i][1], index) for i in group]
        S, T = max(map(len, src)), max(map(len, tgt))
        s = torch.full((size, S), t["pad"], dtype=torch.long)
        m = torch.zeros((size, S), dtype=torch.long)
        d = torch.full((size, T), t["pad"], dtype=torch.long)
        y = torch.full((size, T), -100, dtype=torch.long)
        for r, (a, c) in enumerate(zip(src, tgt)):
            s[r, :len(a)] = torch.tensor(a)
            m[r, :len(a)] = 1
            d[r, 1:len(c)] = torch.tensor(c[:-1])  # decoder input: start (pad) then the target shifted right
            y[r, :len(c)] = torch.tensor(c)
        yield s, m, d, y


def forward(m, src, mask, dec_in):
    h = m.decoder_layers[0].self_attn
    empty = [torch.zeros(src.size(0), h.heads, 0, h.head_dim) for _ in range(2 * len(m.decoder_layers))]
    return m.decode(mask, dec_in, empty, m.cross_kv(m.encode(src, mask)))[0]


def decode_ids(ids, pieces):
    out = []
    for i in ids:
        if i == 0:
            break
        out.append(pieces[i])
    return "".join(out).replace(SPACE, " ").strip()


def accuracy(m, pairs, index, pieces, t):
    """Exact words, greedy, batches of 100 (right-padded sources, as the pipeline feeds them)."""
    right = 0
    with torch.no_grad():
        for b in range(0, len(pairs), 100):
            chunk = pairs[b:b + 100]
            src = [encode(w, index) for w, _ in chunk]
            S = max(map(len, src))
            s = torch.full((len(chunk), S), t["pad"], dtype=torch.long)
            mk = torch.zeros((len(chunk), S), dtype=torch.long)
            for r, a in enumerate(src):
                s[r, :len(a)] = torch.tensor(a)
                mk[r, :len(a)] = 1
            out = marian_greedy(m, s, mk, 2 * S + 4, t["pad"])
            right += sum(decode_ids(out[r].tolist(), pieces) == chunk[r][1] for r in range(len(chunk)))
    return right / len(pairs)


def train(m, train_pairs, val_pairs, index, pieces, t, steps, batch):
    rng = random.Random(words.SEED)
    opt = torch.optim.AdamW(m.parameters(), lr=1.5e-3, betas=(0.9, 0.98), weight_decay=0.01)
    warm = 200
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(i, steps) / steps)))
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    step, start = 0, time.time()
    while step < steps:
        for src, mask, dec_in, y in batches(train_pairs, index, t, batch, rng):
            m.train()
            logits = forward(m, src, mask, dec_in)
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 500 == 0 or step == steps:
                m.eval()
                acc = accuracy(m, val_pairs[:300], index, pieces, t)
                print(f"step {step}/{steps}  loss {loss.item():.4f}  validation words {acc:.3f}  "
                      f"{time.time() - start:.0f} s", flush=True)
            if step == steps:
                break
    m.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--steps", type=int, default=2100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--checkpoint", default="/tmp/translit-checkpoint.pt",
                    help="where the trained weights are saved (torch state dict)")
    ap.add_argument("--export-only", action="store_true",
                    help="export the weights of --checkpoint again instead of training")
    a = ap.parse_args()
    torch.manual_seed(words.SEED)
    torch.set_num_threads(2)
    train_pairs, val_pairs, held = words.split(words.dictionary_words())
    pieces, t = vocabulary()
    index = {p: i for i, p in enumerate(pieces)}
    cfg = model_config(t)
    m = MarianMTModel(cfg)
    n_params = sum(p.numel() for p in m.parameters())
    print(f"{len(train_pairs)} training words, vocabulary {t['vocab']}, {n_params} parameters", flush=True)
    if a.export_only:
        state = torch.load(a.checkpoint)
        state.pop("embed_positions")  # a fixed sinusoid: recomputed for SPEC's table size
        missing, unexpected = m.load_state_dict(state, strict=False)
        if missing != ["embed_positions"] or unexpected:
            raise SystemExit(f"checkpoint does not fit the model: missing {missing}, unexpected {unexpected}")
    else:
        train(m, train_pairs, val_pairs, index, pieces, t, a.steps, a.batch)
        torch.save(copy.deepcopy(m.state_dict()), a.checkpoint)
    print(f"validation words (1,000) {accuracy(m, val_pairs, index, pieces, t):.4f}", flush=True)

    out = Path(a.out)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    tok, tcfg = tokenizer_files(pieces, t)
    (out / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps(tcfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    (out / "generation_config.json").write_text(json.dumps(generation_config(t), indent=2) + "\n", encoding="utf-8")
    (out / "transliteration.json").write_text(json.dumps(
        {"icu_transform": words.ICU_TRANSFORM, "words": f"{words.DICTIONARY_PACKAGE}: {words.DICTIONARY}",
         "seed": words.SEED, "held_out": words.HELD_OUT}, indent=2) + "\n", encoding="utf-8")
    s = dict(SPEC)
    past_names, pres = export_marian(m, s, t, out, PRODUCER, quantize=quantize)
    diff = marian_ort_check(m, s, t, out, past_names, pres)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {out} ({size / 1e6:.2f} MB), ONNX Runtime vs torch {diff:.1e}")


if __name__ == "__main__":
    main()
