#!/usr/bin/python3
"""Independent beam-search reference on the generation fixtures (tiny-gpt2, tiny-llama, tiny-marian), in
torch, for what Transformers.js 4.3.1 lacks (it has no beam search). Writes tests/fixtures/golden/beam.json.

  /usr/bin/python3 tools/golden/beam_ref.py            # ~4 s on one core; writes beam.json
  /usr/bin/python3 tools/golden/beam_ref.py --check    # recompute and compare with the committed file
  /usr/bin/python3 tools/golden/beam_ref.py --only eos # print some cases, write nothing

The modules are rebuilt in torch with tools/fixtures/make_generation_models.py's own code (imported: the
same classes, configs, seeds, init_weights / calibrate_head / randomize_positions / marian_calibrate in
the same order as its build()). Before any beam is searched, two fatal checks tie them to the committed
files (python onnxruntime is not available here; the goldens ran ONNX Runtime):

  1. weights: every float initializer of onnx/model.onnx (Marian: encoder_model.onnx and
     decoder_model_merged.onnx) equals the rebuilt module's tensor of the same name, or, for the
     exporter's unnamed MatMul weights, the transpose of one of the module's 2-D weights, bit-exact;
     config.json equals the rebuilt config;
  2. behaviour: torch greedy decoding (no cache: the whole sequence recomputed every step, float32) of
     every greedy case of tests/fixtures/golden/generation.json whose options use only max_new_tokens,
     eos_token_id, min_new_tokens, no_repeat_ngram_size, repetition_penalty, bad_words_ids and
     forced_eos_token_id (Marian: generation_config.json's bad_words_ids [[80]] and forced_eos_token_id
     0 unless an option replaces them), with the processors below applied to the raw logits as
     Transformers.js does and its batch stopping rule (stop when every row's last token is an eos),
     gives exactly the golden `ids` (Transformers.js + ONNX Runtime on the committed graphs): 31
     tiny-gpt2, 34 tiny-llama, 16 tiny-marian cases, left-padded batches with their attention_mask
     included. This also checks the processor code the beam search uses.

Then every case is searched twice: by beam_row (one row at a time, written below from the semantics)
and by hf_literal (a line-by-line transcription of HF 4.46's batched loop: one [rows * B, L] input_ids,
torch.topk, finished rows padded, finalize writing eos_token_id[0]); hypotheses and scores must agree
exactly (sequences modulo that eos_token_id[0]).

Beam search implemented: Hugging Face transformers 4.46 `_beam_search` with `BeamSearchScorer` /
`BeamHypotheses` (num_beam_groups 1, do_sample false; length handling as after transformers PRs
#23127, #27351 and #27808), float32 throughout, the B beams of a row run as one torch batch without a
cache. The semantics, exactly (also in beam.json's "semantics"):

  P = decoder prompt length: decoder-only, the (left-padded) prompt row's length (pads counted);
      Marian, 1 (the decoder start token). max_length = P + max_new_tokens (N). B = num_beams.
  k = max(2, 1 + len(eos_token_id)) * B   (HF 4.46 n_tokens_to_keep; 2B for one eos id).
  Initial beams: B copies of the prompt; running scores s_b = 0 for b = 0, -1e9 for b > 0 (float32).
  Step (current length L = P + generated so far, cur_len = L + 1):
    scores_b = log_softmax(logits_b[last position])  (float32)
    scores_b = processors(beam b's full sequence incl. prompt and pads, scores_b)  (HF order:
               repetition_penalty, no_repeat_ngram_size, bad_words_ids, min_new_tokens, forced_eos)
    cand[b*V + t] = scores_b[t] + s_b (float32); the top k over the B*V flattened candidates, best
    first (ties: lower flattened index first; never exercised: see the margins).
    Walk them in rank order r = 0..k-1:
      token t in eos_token_id:  r >= B -> skipped;  else the hypothesis (beam b's tokens, then t) is
                                added with sum_logprobs = cand and
                                score = sum_logprobs / (cur_len - P) ** length_penalty,
                                i.e. the generated length COUNTS the eos token (HF 4.46's
                                generated_len = cur_len - decoder_prompt_len with cur_len =
                                input_ids.shape[-1] + 1, PR #27808);
      otherwise:                (b, t) becomes the next beam, in walk order, with running score cand;
      stop walking when B next beams are chosen.
    is_done (evaluated after every step; once true the row is frozen and not finalized):
      fewer than B finished hypotheses -> false; else
      early_stopping true    -> true;
      early_stopping false   -> worst_score >= best / (cur_len - P) ** length_penalty;
      early_stopping "never" -> worst_score >= best / (max_length - P) ** length_penalty if
                                length_penalty > 0, else best / (cur_len - P) ** length_penalty;
      where best = the highest of the k candidate sums of this step (HF: next_scores.max(), which may
      be an eos candidate's, not only a running beam's), and cur_len - P = generated tokens after
      this step.
    Stop when every row is done or L reaches max_length.
  Finished list (BeamHypotheses.add), per row, worst_score starting at 1e9: a hypothesis with score s is
    kept if fewer than B are kept or s > worst_score; when that makes B + 1, the lowest one is dropped
    and worst_score = the lowest remaining; otherwise worst_score = min(worst_score, s).
  Finalize (rows not done when L reaches max_length): every running beam is added in beam order,
    sum_logprobs = its running score, score = sum_logprobs / N ** length_penalty (no eos).
  Output: per row the best num_return_sequences (R) hypotheses, best first, with their scores. A
    sequence is the generated tokens only (no prompt or decoder start); one that finished by an eos
    ends with that eos token (running beams never contain an eos, so a sequence ends with an eos id
    exactly when it finished by it). HF 4.46's finalize writes eos_token_id[0] there instead,
    whatever eos ended it: cases where that differs have "hf_first_eos_differs": true and
    "hf_sequences" (what HF returns, minus the prompt and its padding). Scores: the float32 sum
    divided in float64, written with 9 significant digits.

Processors, HF 4.46 semantics, on the log-softmax scores of one beam with full sequence x (length L):
  repetition_penalty p: for every token id in x: s = s * p if s < 0 else s / p.
  no_repeat_ngram_size n: if L + 1 >= n, ban (-inf) every t such that (x[L-n+1..L-1], t) occurs as
                          an n-gram of x.
  bad_words_ids: a one-token entry bans its token; a longer entry bans its last token when the
                 sequence ends with the entry's other tokens.
  min_new_tokens m: every eos id -inf while L - P < m.
  forced_eos_token_id e: when L == max_length - 1, every score -inf except e, which gets 0.
Marian cases carry generation_config.json's bad_words_ids [[80]] and forced_eos_token_id 0 in
"options" (HF merges them too): the last step's candidates are eos only.

beam.json: {"generator", "reference", "semantics", "cases": [...]}, one case per line, each
  name, model, prompt_from (the generation.json greedy case the prompt comes from), prompt_ids and
  attention_mask (rows; decoder-only: left-padded as the golden; Marian: the encoder's input),
  decoder_start_ids (Marian), options (everything the search used: num_beams, max_new_tokens,
  length_penalty, early_stopping, num_return_sequences, eos_token_id as a list, and any processor),
  sequences [row][hypothesis] (generated ids), scores [row][hypothesis], stopped [row] ("done after
  step s" or "max_length after step s"), min_score_margin, min_decision_margin, hf_first_eos_differs,
  hf_sequences (when it does), is_done_exact_ties (when any), note.

Margins per case (so that a float32 implementation on ONNX Runtime's logits, which differ from torch's
in the last bits, is known to take the same decisions; the script fails below 1e-4):
  min_score_margin: the smallest gap between consecutive sorted candidate sums among the ranks the
    walk looked at plus the next one (ranks 0..w+1, w = the rank of the B-th chosen beam), over every
    step and row; -inf candidates (forced or banned) are left out. It bounds the B-th vs (B+1)-th gap.
  min_decision_margin: the smallest |a - b| of every other comparison made: hypothesis score vs
    worst_score in add (when B are kept), worst_score vs the bound in is_done (not at the last step,
    where is_done only decides whether finalize runs: there the finalize additions are compared,
    hypothetically if the row is done), and adjacent scores among the best R + 1 final hypotheses.
  is_done_exact_ties: is_done comparisons that were exact equalities, left out of the margin. They are
    structural, not float accidents: when this step's best candidate is an eos and its hypothesis
    becomes the worst kept, worst_score and the early_stopping-false bound are the same float32 sum
    divided by the same length (HF: done, by >=). None of the current cases has one.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/fixtures"))
import torch  # noqa: E402
import make_generation_models as mgm  # noqa: E402  (sets torch.set_num_threads(1))

MODELS = ROOT / "tests/fixtures/models"
GOLDEN = ROOT / "tests/fixtures/golden/generation.json"
OUT = ROOT / "tests/fixtures/golden/beam.json"
NEG_INF = float("-inf")
MIN_MARGIN = 1e-4

# ----------------------------------------------------------------------------------------------
# Rebuilding the fixtures' torch modules (make_generation_models.build() without writing anything)


def rebuild(name):
    spec = next(s for s in mgm.FIXTURES if s["name"] == name)
    with torch.no_grad():
        if spec["kind"] == "marian":
            _, _, t = mgm.marian_tokenizer()
            cfg = mgm.marian_config(spec, t)
            m = mgm.MarianMTModel(cfg)
            m.eval()
            mgm.init_weights(m, spec)
            mgm.randomize_positions(m, spec)
            mgm.marian_calibrate(m, spec, t)
            return spec, cfg, t, m
        if spec["kind"] == "gpt2":
            _, _, t = mgm.gpt2_tokenizer(spec["merges"], spec["n_positions"])
            cfg = mgm.gpt2_config(spec, t)
            m = mgm.GPT2LMHeadModel(dict(cfg))
        else:
            _, _, t = mgm.llama_tokenizer(spec["base"])
            cfg = mgm.llama_config(spec, t)
            m = mgm.LlamaForCausalLM(cfg)
        m.eval()
        mgm.init_weights(m, spec)
        mgm.calibrate_head(m, spec, t["vocab"])
    return spec, cfg, t, m


def check_weights(name, cfg, module):
    """Every float initializer of the committed graphs equals the module's tensor of that name or the
    transpose of one of its 2-D weights (bit-exact); config.json equals the rebuilt config."""
    import numpy as np
    import onnx
    from onnx import numpy_helper
    folder = MODELS / name
    committed = json.loads((folder / "config.json").read_text())
    if committed != json.loads(json.dumps(cfg)):
        raise SystemExit(f"{name}: config.json differs from the rebuilt config")
    state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    transposed = {}
    for k, v in state.items():
        if v.ndim == 2:
            transposed.setdefault(np.ascontiguousarray(v.T).tobytes(), k)
    graphs = ["encoder_model.onnx", "decoder_model_merged.onnx"] if name == "tiny-marian" else ["model.onnx"]
    named = by_content = 0
    for g in graphs:
        model = onnx.load(str(folder / "onnx" / g))
        for init in model.graph.initializer:
            if init.data_type != onnx.TensorProto.FLOAT:
                continue
            a = numpy_helper.to_array(init)
            key = init.name[2:] if init.name.startswith("m.") else init.name
            if key in state:
                if a.shape != state[key].shape or not np.array_equal(a, state[key]):
                    raise SystemExit(f"{name}/{g}: initializer {init.name} differs from the rebuilt module")
                named += 1
            elif np.ascontiguousarray(a).tobytes() in transposed:
                by_content += 1
            elif a.size > 1:
                raise SystemExit(f"{name}/{g}: initializer {init.name} {list(a.shape)} matches no rebuilt tensor")
    return named, by_content


# ----------------------------------------------------------------------------------------------
# Running the modules without a cache: the whole sequence every step, logits of the last position


class DecoderOnly:
    def __init__(self, spec, module):
        self.spec, self.m = spec, module

    def last_logits(self, seqs, mask_prefix):
        """seqs: n lists (same length); mask_prefix: the prompt row's attention mask (generated tokens
        get 1). Positions cumsum(mask) - 1, 1 on pads (as the fixtures' checks and Transformers.js)."""
        ids = torch.tensor(seqs, dtype=torch.long)
        mask = torch.tensor([list(mask_prefix) + [1] * (len(seqs[0]) - len(mask_prefix))] * len(seqs), dtype=torch.long)
        with torch.no_grad():
            out = self.m(ids, mask, mgm.positions(mask), *mgm.empty_past(self.spec, ids.size(0)))
        return out[0][:, -1].to(torch.float32)


class Seq2Seq:
    def __init__(self, spec, module):
        self.spec, self.m = spec, module
        self._enc = None

    def encode(self, src, src_mask):
        with torch.no_grad():
            s = torch.tensor([src], dtype=torch.long)
            mk = torch.tensor([src_mask], dtype=torch.long)
            self._enc = (mk, self.m.cross_kv(self.m.encode(s, mk)))

    def last_logits(self, seqs, _mask_prefix=None):
        mk, cross = self._enc
        n = len(seqs)
        h = self.m.decoder_layers[0].self_attn
        empty = [torch.zeros(n, h.heads, 0, h.head_dim) for _ in range(2 * len(self.m.decoder_layers))]
        with torch.no_grad():
            logits, _ = self.m.decode(mk.expand(n, -1), torch.tensor(seqs, dtype=torch.long),
                                      empty, [c.expand(n, -1, -1, -1) for c in cross])
        return logits[:, -1].to(torch.float32)


# ----------------------------------------------------------------------------------------------
# Logits processors (HF 4.46 semantics, one sequence at a time, on float32 scores)


def process(seq, scores, o, prompt_len, max_length):
    L = len(seq)
    s = scores.clone()
    p = o.get("repetition_penalty")
    if p is not None and p != 1.0:
        idx = torch.tensor(seq, dtype=torch.long)
        g = s[idx]
        s[idx] = torch.where(g < 0, g * p, g / p)
    n = o.get("no_repeat_ngram_size")
    if n and L + 1 >= n:
        prefix = seq[L - n + 1:] if n > 1 else []
        for i in range(L - n + 1):
            if seq[i:i + n - 1] == prefix:
                s[seq[i + n - 1]] = NEG_INF
    for bad in o.get("bad_words_ids") or []:
        if len(bad) == 1 or (len(bad) - 1 <= L and seq[L - len(bad) + 1:] == bad[:-1]):
            s[bad[-1]] = NEG_INF
    m = o.get("min_new_tokens")
    if m and L - prompt_len < m:
        for e in o["eos_token_id"]:
            s[e] = NEG_INF
    fe = o.get("forced_eos_token_id")
    if fe is not None and L == max_length - 1:
        s = torch.full_like(s, NEG_INF)
        for e in ([fe] if isinstance(fe, int) else fe):
            s[e] = 0.0
    return s


# ----------------------------------------------------------------------------------------------
# Greedy (the self-check against generation.json): Transformers.js' stopping rule for batches


def greedy(runner, rows, masks, o, steps, marian_src=None):
    """Returns the generated ids per row, as Transformers.js decodes greedily: the same processors as
    the beam search, but on the raw logits (so repetition_penalty acts on logits there), argmax (first
    maximum). Generation stops after a step where every row's last token is an eos, or after `steps`
    tokens."""
    out = [[] for _ in rows]
    seqs = [list(r) for r in rows]
    P = len(seqs[0])
    for _ in range(steps):
        last = []
        for i, seq in enumerate(seqs):
            if marian_src is not None:
                runner.encode(*marian_src[i])
            logits = runner.last_logits([seq], masks[i] if masks else None)[0]
            sc = process(seq, logits, o, P, P + steps)  # Transformers.js: processors on the raw logits
            t = int(torch.argmax(sc))  # the first maximum
            seq.append(t)
            out[i].append(t)
            last.append(t)
        if all(t in o["eos_token_id"] for t in last):
            break
    return out


def self_check_greedy(name, runner, golden_cases, gen_cfg):
    allowed = {"max_new_tokens", "eos_token_id", "min_new_tokens", "no_repeat_ngram_size", "repetition_penalty",
               "bad_words_ids", "forced_eos_token_id"}
    checked = []
    for c in golden_cases:
        if c["model"] != name or c["kind"] != "greedy" or "error" in c or "ids" not in c:
            continue
        opts = c["options"]
        if not set(opts) <= allowed or not isinstance(opts.get("max_new_tokens"), int) or opts["max_new_tokens"] < 1:
            continue
        o = dict(opts)
        eos = o.get("eos_token_id", gen_cfg["eos_token_id"])
        o["eos_token_id"] = eos if isinstance(eos, list) else [eos]
        if name == "tiny-marian":
            o.setdefault("bad_words_ids", gen_cfg["bad_words_ids"])  # options replace generation_config's
            o.setdefault("forced_eos_token_id", gen_cfg["forced_eos_token_id"])
            src = list(zip(c["prompt_ids"], c["attention_mask"]))
            got = greedy(runner, c["decoder_start_ids"], None, o, o["max_new_tokens"], marian_src=src)
        else:
            got = greedy(runner, c["prompt_ids"], c["attention_mask"], o, o["max_new_tokens"])
        if got != c["ids"]:
            raise SystemExit(f"{c['name']}: torch greedy {got} != golden {c['ids']}")
        checked.append(c["name"])
    if len(checked) < 5:
        raise SystemExit(f"{name}: only {len(checked)} greedy goldens checked")
    return checked


# ----------------------------------------------------------------------------------------------
# Beam search (HF 4.46 BeamSearchScorer), one row


class Hyps:
    """BeamHypotheses: keeps the best num_beams (score, tokens)."""

    def __init__(self, num_beams, margins):
        self.n, self.beams, self.worst = num_beams, [], 1e9
        self.margins = margins
        self.ties = 0  # is_done comparisons that were exact equalities (see the docstring)

    def add(self, tokens, sum_logprobs, generated_len, lp):
        score = sum_logprobs / (generated_len ** lp)
        if len(self.beams) >= self.n:
            self.margins.append(abs(score - self.worst))
        if len(self.beams) < self.n or score > self.worst:
            self.beams.append((score, tokens))
            if len(self.beams) > self.n:
                ranked = sorted((s, i) for i, (s, _) in enumerate(self.beams))
                del self.beams[ranked[0][1]]
                self.worst = ranked[1][0]
            else:
                self.worst = min(score, self.worst)

    def is_done(self, best, cur_len, P, max_length, es, lp, record=True):
        if len(self.beams) < self.n:
            return False
        if es is True:
            return True
        if es is False or lp <= 0.0:
            bound = best / (cur_len - P) ** lp
        else:  # "never", length_penalty > 0
            bound = best / (max_length - P) ** lp
        if record:
            if self.worst == bound:
                self.ties += 1
            else:
                self.margins.append(abs(self.worst - bound))
        return self.worst >= bound


def beam_row(logits_fn, prompt, mask, o):
    """One row of HF 4.46 beam search; logits_fn(seqs, mask) -> [len(seqs), V] last-position logits."""
    B, N, R = o["num_beams"], o["max_new_tokens"], o["num_return_sequences"]
    lp, es, eos = float(o["length_penalty"]), o["early_stopping"], o["eos_token_id"]
    P = len(prompt)
    max_length = P + N
    k = max(2, 1 + len(eos)) * B
    seqs = [list(prompt) for _ in range(B)]
    run = torch.zeros(B, dtype=torch.float32)
    run[1:] = -1e9
    decisions = []
    hyps = Hyps(B, decisions)
    score_margin = math.inf
    done, steps = False, 0
    while True:
        logits = logits_fn(seqs, mask)
        logp = torch.log_softmax(logits, -1)
        proc = torch.stack([process(seqs[b], logp[b], o, P, max_length) for b in range(B)])
        cand = (proc + run[:, None]).reshape(-1)
        V = proc.size(1)
        vals, idx = torch.sort(cand, descending=True, stable=True)  # stable: ties keep the lower index
        vals, idx = vals[:k + 1].tolist(), idx[:k + 1].tolist()
        cur_len = len(seqs[0]) + 1
        nxt = []
        w = None
        for r in range(k):
            b, t, sc = idx[r] // V, idx[r] % V, vals[r]
            if t in eos:
                if r >= B:
                    continue
                hyps.add(seqs[b][P:] + [t], sc, cur_len - P, lp)
            else:
                nxt.append((b, t, sc))
            if len(nxt) == B:
                w = r
                break
        if w is None:
            raise SystemExit(f"fewer than {B} non-eos tokens among the top {k}")
        for r in range(w + 1):
            a, c = vals[r], vals[r + 1]
            if a != NEG_INF and c != NEG_INF:
                score_margin = min(score_margin, a - c)
        steps += 1
        # At the last step is_done only decides whether finalize adds the running beams: its margin is
        # replaced by those additions' margins below (made hypothetically when the row is done).
        done = hyps.is_done(vals[0], cur_len, P, max_length, es, lp, record=cur_len < max_length)
        seqs = [seqs[b] + [t] for b, t, _ in nxt]
        run = torch.tensor([sc for _, _, sc in nxt], dtype=torch.float32)
        if done or len(seqs[0]) >= max_length:
            break
    if not done:
        for b in range(B):
            hyps.add(seqs[b][P:], float(run[b]), len(seqs[b]) - P, lp)
    elif len(seqs[0]) == max_length:
        for b in range(B):
            score = float(run[b]) / (len(seqs[b]) - P) ** lp
            if score != NEG_INF:
                decisions.append(abs(score - hyps.worst))
    ranked = sorted(hyps.beams, key=lambda x: x[0])  # HF: sorted ascending, pop() from the end
    best = [ranked.pop() for _ in range(R)]
    order = sorted((s for s, _ in hyps.beams), reverse=True)[:R + 1]
    decisions += [order[j] - order[j + 1] for j in range(len(order) - 1) if order[j + 1] != NEG_INF]
    return {
        "sequences": [t for _, t in best],
        "scores": [s for s, _ in best],
        "stopped": f"done after step {steps}" if done else f"max_length after step {steps}",
        "score_margin": score_margin,
        "decision_margin": min(decisions) if decisions else math.inf,
        "ties": hyps.ties,
    }


# ----------------------------------------------------------------------------------------------
# Cross-check: a literal transcription of HF 4.46's batched loop (_beam_search + BeamSearchScorer.process /
# finalize: one [rows * B, L] input_ids, torch.topk, finished rows padded, decoded[...] = eos_token_id[0]).
# It must give the per-row search's hypotheses and scores exactly (beam_row is what beam.json records).


def hf_literal(logits_fn, rows, o):
    B, N, R = o["num_beams"], o["max_new_tokens"], o["num_return_sequences"]
    lp, es, eos = float(o["length_penalty"]), o["early_stopping"], o["eos_token_id"]
    pad = o.get("pad_token_id", eos[0])
    batch = len(rows)
    input_ids = torch.tensor(rows, dtype=torch.long).repeat_interleave(B, dim=0)
    P = input_ids.shape[-1]
    max_length = P + N
    beam_scores = torch.zeros((batch, B), dtype=torch.float)
    beam_scores[:, 1:] = -1e9
    beam_scores = beam_scores.view((batch * B,))
    hyps = [Hyps(B, []) for _ in range(batch)]
    done = [False] * batch
    while True:
        logits = torch.cat([logits_fn(i, input_ids[i * B:(i + 1) * B].tolist()) for i in range(batch)])
        scores = torch.log_softmax(logits, dim=-1)
        seqs = input_ids.tolist()
        scores = torch.stack([process(seqs[j], scores[j], o, P, max_length) for j in range(batch * B)])
        scores = scores + beam_scores[:, None].expand_as(scores)
        V = scores.shape[-1]
        scores = scores.view(batch, B * V)
        k = max(2, 1 + len(eos)) * B
        next_scores, next_tokens = torch.topk(scores, k, dim=1, largest=True, sorted=True)
        next_indices = torch.div(next_tokens, V, rounding_mode="floor")
        next_tokens = next_tokens % V
        # BeamSearchScorer.process
        cur_len = input_ids.shape[-1] + 1
        nb_scores = torch.zeros((batch, B), dtype=next_scores.dtype)
        nb_tokens = torch.zeros((batch, B), dtype=next_tokens.dtype)
        nb_indices = torch.zeros((batch, B), dtype=next_indices.dtype)
        for bi in range(batch):
            if done[bi]:
                nb_scores[bi, :], nb_tokens[bi, :], nb_indices[bi, :] = 0, pad, 0
                continue
            beam_idx = 0
            for rank, (tok, sc, ix) in enumerate(zip(next_tokens[bi], next_scores[bi], next_indices[bi])):
                bbi = bi * B + ix
                if tok.item() in eos:
                    if rank >= B:
                        continue
                    hyps[bi].add(input_ids[bbi].tolist(), sc.item(), cur_len - P, lp)
                else:
                    nb_scores[bi, beam_idx], nb_tokens[bi, beam_idx], nb_indices[bi, beam_idx] = sc, tok, bbi
                    beam_idx += 1
                if beam_idx == B:
                    break
            done[bi] = done[bi] or hyps[bi].is_done(next_scores[bi].max().item(), cur_len, P, max_length, es, lp)
        beam_scores = nb_scores.view(-1)
        input_ids = torch.cat([input_ids[nb_indices.view(-1), :], nb_tokens.view(-1).unsqueeze(-1)], dim=-1)
        if all(done) or input_ids.shape[-1] >= max_length:
            break
    # BeamSearchScorer.finalize
    for bi in range(batch):
        if done[bi]:
            continue
        for b in range(B):
            toks = input_ids[bi * B + b]
            hyps[bi].add(toks.tolist(), beam_scores[bi * B + b].item(), toks.shape[-1] - P, lp)
    best, best_scores = [], []
    for bi in range(batch):
        ranked = sorted(hyps[bi].beams, key=lambda x: x[0])
        for _ in range(R):
            sc, hyp = ranked.pop()
            best.append(hyp)
            best_scores.append(sc)
    lengths = [len(h) for h in best]
    sent_max_len = min(max(lengths) + 1, max_length)
    decoded = []
    for h in best:
        d = list(h)
        if len(h) < sent_max_len:
            d.append(eos[0])  # "inserting only the first eos_token_id"
        decoded.append(d)
    return decoded, best_scores


def cross_check(name, logits_fn, rows, o, result):
    decoded, scores = hf_literal(logits_fn, rows, o)
    P, R, eos = len(rows[0]), o["num_return_sequences"], o["eos_token_id"]
    want, want_scores = [], []
    for row_seqs, row_scores in zip(result["sequences"], result["scores_raw"]):
        for seq, sc in zip(row_seqs, row_scores):
            # beam.json ends an eos-finished sequence with its own eos; HF 4.46 with eos_token_id[0]
            want.append(seq[:-1] + [eos[0]] if seq and seq[-1] in eos else seq)
            want_scores.append(sc)
    got = [d[P:] for d in decoded]
    if got != want or scores != want_scores:
        raise SystemExit(f"{name}: the literal HF loop gives {got} {scores}, the per-row search {want} {want_scores}")


# ----------------------------------------------------------------------------------------------
# Cases

P1, P2, P3, P4, SHORT = "greedy-20", "greedy-20-p2", "greedy-20-p3", "greedy-20-p4", "greedy-20-short"


def C(name, model, prompt_from, B, N, lp=1.0, es=False, R=1, eos=None, note=None, **extra):
    o = {"num_beams": B, "max_new_tokens": N, "length_penalty": lp, "early_stopping": es,
         "num_return_sequences": R}
    if eos is not None:
        o["eos_token_id"] = eos
    o.update(extra)
    return {"name": f"{model}/{name}", "model": model, "prompt_from": f"{model}/{prompt_from}", "options": o,
            "note": note}


EOS3 = [624, 1414, 139]  # tiny-gpt2 tokens that P1's beams produce at steps 4-8 (k = 4B)

CASES = [
    # tiny-gpt2 (generation_config.json: eos 2047, which these beams never produce)
    C("beams2", "tiny-gpt2", P1, 2, 10),
    C("beams3-return3", "tiny-gpt2", P2, 3, 12, R=3),
    C("beams4-return2", "tiny-gpt2", P3, 4, 8, R=2),
    C("eos-early_stopping-true", "tiny-gpt2", P1, 2, 12, es=True, R=2, eos=EOS3),
    C("eos-early_stopping-false", "tiny-gpt2", P1, 2, 12, es=False, R=2, eos=EOS3),
    C("eos-early_stopping-never", "tiny-gpt2", P1, 2, 12, es="never", R=2, eos=EOS3),
    C("eos-lp0.5", "tiny-gpt2", P1, 2, 12, lp=0.5, R=2, eos=EOS3),
    C("eos-never-lp0.5", "tiny-gpt2", P1, 2, 12, lp=0.5, es="never", R=2, eos=EOS3),
    C("eos-lp2", "tiny-gpt2", P1, 2, 12, lp=2.0, R=2, eos=EOS3),
    C("eos-single", "tiny-gpt2", P1, 3, 12, R=2, eos=[867]),
    C("batch-2", "tiny-gpt2", "batch-2", 3, 8, R=2),
    C("batch-2-eos", "tiny-gpt2", "batch-eos-one-row", 2, 12, R=2, eos=EOS3,
      note="row 0 is done after step 10, row 1 runs to max_length"),
    C("no_repeat_ngram_size-2", "tiny-gpt2", SHORT, 3, 12, R=2, no_repeat_ngram_size=2),
    C("min_new_tokens-6", "tiny-gpt2", P1, 2, 12, R=2, eos=EOS3, min_new_tokens=6),
    # tiny-llama (generation_config.json: eos [1537, 1540], never produced here; k = 3B)
    C("beams2", "tiny-llama", P1, 2, 10),
    C("beams4-return4", "tiny-llama", P2, 4, 8, R=4),
    C("eos-lp0.5-early_stopping-true", "tiny-llama", P1, 2, 10, lp=0.5, es=True, R=2, eos=[1101, 1445]),
    C("eos-at-step-1", "tiny-llama", P1, 3, 10, lp=0.5, es=True, R=2, eos=[1101, 212],
      note="212 is the best first token: a hypothesis of generated length 1"),
    C("eos-lp2-never", "tiny-llama", P1, 3, 10, lp=2.0, es="never", R=3, eos=[1101, 1445]),
    C("batch-2", "tiny-llama", "batch-2", 2, 8, R=2),
    C("repetition_penalty-1.3", "tiny-llama", SHORT, 3, 12, R=2, repetition_penalty=1.3),
    # tiny-marian (generation_config.json: eos 0, bad_words_ids [[80]], forced_eos_token_id 0 = the last
    # step's candidates are eos only)
    C("beams2", "tiny-marian", "translation-greedy", 2, 12),
    C("beams3-return3", "tiny-marian", "translation-greedy-2", 3, 10, R=3),
    C("beams4-lp0.5", "tiny-marian", "text2text-greedy", 4, 12, lp=0.5, R=2),
    C("batch-2", "tiny-marian", "text2text-batch", 3, 10, R=2),
    C("eos-early_stopping-true", "tiny-marian", "translation-greedy", 3, 14, es=True, R=2, eos=[0, 47]),
    C("eos-early_stopping-false", "tiny-marian", "translation-greedy", 3, 14, es=False, R=2, eos=[0, 47]),
    C("eos-early_stopping-never-lp0.5", "tiny-marian", "translation-greedy", 3, 14, lp=0.5, es="never", R=2,
      eos=[0, 72]),
    C("eos-lp2-early_stopping-true", "tiny-marian", "translation-greedy", 3, 14, lp=2.0, es=True, R=3, eos=[0, 77]),
    C("no-forced-eos", "tiny-marian", "translation-greedy", 2, 14, R=2, eos=[0, 77], forced_eos_token_id=None),
]


def options_full(case, gen_cfg):
    o = dict(case["options"])
    eos = o.get("eos_token_id", gen_cfg["eos_token_id"])
    o["eos_token_id"] = eos if isinstance(eos, list) else [eos]
    if case["model"] == "tiny-marian":
        o.setdefault("bad_words_ids", gen_cfg["bad_words_ids"])
        o.setdefault("forced_eos_token_id", gen_cfg["forced_eos_token_id"])
    return o


def run_case(case, runner, golden, gen_cfg):
    src = golden[case["prompt_from"]]
    o = options_full(case, gen_cfg)
    out = {"name": case["name"], "model": case["model"], "prompt_from": case["prompt_from"]}
    rows = []
    if case["model"] == "tiny-marian":
        out["prompt_ids"], out["attention_mask"] = src["prompt_ids"], src["attention_mask"]
        out["decoder_start_ids"] = src["decoder_start_ids"]
        starts = src["decoder_start_ids"]

        def logits_fn(i, seqs):
            runner.encode(src["prompt_ids"][i], src["attention_mask"][i])
            return runner.last_logits(seqs)
    else:
        out["prompt_ids"], out["attention_mask"] = src["prompt_ids"], src["attention_mask"]
        starts = src["prompt_ids"]

        def logits_fn(i, seqs):
            return runner.last_logits(seqs, src["attention_mask"][i])
    for i, start in enumerate(starts):
        rows.append(beam_row(lambda seqs, _mask, i=i: logits_fn(i, seqs), start, None, o))
    cross_check(case["name"], logits_fn, starts, o,
                {"sequences": [r["sequences"] for r in rows], "scores_raw": [r["scores"] for r in rows]})
    out["options"] = o
    out["sequences"] = [r["sequences"] for r in rows]
    out["scores"] = [[float(f"{s:.9g}") for s in r["scores"]] for r in rows]
    out["stopped"] = [r["stopped"] for r in rows]
    out["min_score_margin"] = float(f"{min(r['score_margin'] for r in rows):.3g}")
    dm = min(r["decision_margin"] for r in rows)
    out["min_decision_margin"] = float(f"{dm:.3g}") if dm != math.inf else None
    ties = sum(r["ties"] for r in rows)
    if ties:
        out["is_done_exact_ties"] = ties
    eos = o["eos_token_id"]
    out["hf_first_eos_differs"] = any(seq and seq[-1] in eos and seq[-1] != eos[0]
                                      for r in rows for seq in r["sequences"])
    if out["hf_first_eos_differs"]:
        out["hf_sequences"] = [[seq[:-1] + [eos[0]] if seq and seq[-1] in eos else seq for seq in r["sequences"]]
                               for r in rows]
    if case.get("note"):
        out["note"] = case["note"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed beam.json instead of writing")
    ap.add_argument("--only", action="append", help="run only cases whose name contains this (no write)")
    a = ap.parse_args()
    t0 = time.time()
    gold = json.loads(GOLDEN.read_text())["cases"]
    golden = {c["name"]: c for c in gold}
    runners, gen_cfgs = {}, {}
    for name in ("tiny-gpt2", "tiny-llama", "tiny-marian"):
        spec, cfg, t, m = rebuild(name)
        named, by_content = check_weights(name, cfg, m)
        gen_cfgs[name] = json.loads((MODELS / name / "generation_config.json").read_text())
        runners[name] = Seq2Seq(spec, m) if spec["kind"] == "marian" else DecoderOnly(spec, m)
        checked = self_check_greedy(name, runners[name], gold, gen_cfgs[name])
        print(f"{name}: {named} named + {by_content} transposed initializers equal the rebuilt module; "
              f"torch greedy == golden ids on {len(checked)} cases", file=sys.stderr)
    cases = CASES if not a.only else [c for c in CASES if any(s in c["name"] for s in a.only)]
    results = []
    for case in cases:
        r = run_case(case, runners[case["model"]], golden, gen_cfgs[case["model"]])
        results.append(r)
        print(f"{r['name']}: {r['sequences']} {r['scores']} {r['stopped']} margins {r['min_score_margin']} "
              f"{r['min_decision_margin']}", file=sys.stderr)
        worst = min(x for x in (r["min_score_margin"], r["min_decision_margin"]) if x is not None)
        if worst < MIN_MARGIN and not a.only:
            raise SystemExit(f"{r['name']}: margin {worst} < {MIN_MARGIN}")
    print(f"{len(results)} cases in {time.time() - t0:.1f} s", file=sys.stderr)
    if a.only:
        return
    text = render(results)
    if a.check:
        if OUT.read_text() != text:
            raise SystemExit(f"{OUT} differs from the recomputed reference")
        print(f"{OUT} matches", file=sys.stderr)
        return
    OUT.write_text(text)
    print(f"wrote {OUT}", file=sys.stderr)


def render(results):
    head = {"generator": "tools/golden/beam_ref.py",
            "reference": "Hugging Face transformers 4.46 _beam_search + BeamSearchScorer semantics, reimplemented in torch "
                         "(float32, no cache) on modules rebuilt by tools/fixtures/make_generation_models.py",
            "semantics": semantics_text()}
    lines = ["{" + ",\n ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()) + ",",
             ' "cases": [']
    body = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in results]
    lines.append(",\n".join("  " + b for b in body))
    lines.append(" ]}")
    return "\n".join(lines) + "\n"


def semantics_text():
    doc = __doc__
    start = doc.index("  P = decoder prompt length")
    end = doc.index("beam.json: {")
    return " ".join(doc[start:end].split())


if __name__ == "__main__":
    main()
