// Golden outputs of the Transformers.js generation pipelines on the fixtures of
// tools/fixtures/make_generation_models.py: text-generation on the decoder-only tiny-gpt2 and
// tiny-llama; translation, text2text-generation and summarization on the encoder-decoder tiny-marian.
//
// Regenerate (after make_generation_models.py changed the fixtures):
//
//   cd tools/node && node ../golden/generation_goldens.mjs
//
// It first checks each model in Transformers.js (cached generation equals a no-cache loop over the
// whole sequence; a padded batch row equals its single run), then writes
// tests/fixtures/golden/generation.json:
//   {"generator", "transformers_js_version", "cases": [...]}, one case per line, each
//   {"name", "model", "task", "dtype": "fp32", "kind", "input", "options", ...}.
// Encoder-decoder cases: "prompt_ids" / "attention_mask" are the encoder's input (right-padded),
// "decoder_start_ids" the decoder's first token per row, "ids" what followed it.
// "input" is exactly what was passed (a string, a list of strings, a chat or a list of chats) and
// "options" exactly the options object passed ({} for none). Kinds:
// - "greedy": a plain pipeline call (do_sample false, or options that Transformers.js turns into
//   greedy). "output" is the pipeline's result as JSON, or "error" its message when it threw.
//   "prompt_ids" / "attention_mask": the tokenized prompt per row as the pipeline gave it to
//   model.generate (left-padded, pad = the tokenizer's pad token); "ids": the generated token ids per
//   row (the sequences generate() returned, prompt columns removed; Transformers.js keeps generating for
//   rows that already produced an eos until every row stops, see the batch-eos cases; where that makes
//   the batch differ from each row run alone, "output_rows_alone" holds the rows alone in the batch's
//   shape: what transformers.cpp returns, as it pads finished rows). Chat cases also
//   carry "rendered": the chat template's output that was tokenized. "min_logit_margin": the smallest
//   gap between the best and second-best processed logit over every row and step (a float32 ULP-level
//   difference in the logits could flip greedy only where it is tiny; forced steps, where all but the
//   forced ids are -inf, do not count).
// - "sample": do_sample true. "seed": random.seed(seed) of Transformers.js (its Python-compatible
//   MT19937, which LogitsSampler draws from) was called right before the pipeline call, nothing else
//   drew from it in between; the draws are random() * sum(weights) scanned over the top-k softmax.
// - "distribution": no generation. "step": the distribution of the step-th generated token, with
//   "prefix_ids" (prompt_ids + the first step-1 tokens of the greedy case "prefix_from") fed to the
//   model without cache; the logits processors generate() builds from "options" are applied, then
//   LogitsSampler's MultinomialSampler warping: top_k (0 = whole vocabulary) of the processed logits,
//   softmax. "distribution": {"token_ids" (descending), "logits" (processed, float32), "probs"
//   (float32 softmax over those k)}. top_p is accepted but ignored by Transformers.js 4.3.1
//   (TopPLogitsWarper has no _call and is never added).
// Every "greedy"/"sample" case ran with the fixture's generation_config.json merged in.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tjsDir = path.join(repo, 'tools/node/node_modules/@huggingface/transformers');
const tjs = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
const { env, pipeline, random, Tensor, topk, softmax } = tjs;
const version = JSON.parse(fs.readFileSync(path.join(tjsDir, 'package.json'), 'utf8')).version;

const modelsRoot = path.join(repo, 'tests/fixtures/models');
const outFile = path.join(repo, 'tests/fixtures/golden/generation.json');

env.allowRemoteModels = false;
env.localModelPath = modelsRoot + '/';
env.useFSCache = false;

const DTYPE = 'fp32';
const SESSION = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const SEED = 42;

const P1 = 'Once upon a time, there was a little';
const P2 = 'The quick brown fox';
const P3 = 'In the beginning';
const P4 = 'Hello, my name is';
const SHORT = 'Hello';
const LONG = 'The quick brown fox jumps over the lazy dog';
const CHAT = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Tell me a story about a dragon.' },
];
const CHAT2 = [{ role: 'user', content: 'Hi!' }];

const toNum = (rows) => rows.map((r) => r.map(Number));

// ----------------------------------------------------------------------------------------------

async function load(model, task = 'text-generation') {
  const pipe = await pipeline(task, model, { dtype: DTYPE, session_options: SESSION });
  const seq2seq = pipe.model.config.is_encoder_decoder;
  // Record what the pipeline passes to generate() and what it returns.
  const generate = pipe.model.generate.bind(pipe.model);
  pipe.captured = null;
  pipe.model.generate = async (args) => {
    const prompt_ids = toNum(args.input_ids.tolist());
    const attention_mask = toNum(args.attention_mask.tolist());
    pipe.captured = { prompt_ids, attention_mask, margin: Infinity };
    // Appended after the built-in processors: the smallest gap between the two best processed
    // logits of any row at any step (how far greedy is from a tie).
    const recorder = (input_ids, logits) => {
      const V = logits.dims.at(-1);
      for (let r = 0; r < logits.dims[0]; ++r) {
        const row = logits.data.subarray(r * V, (r + 1) * V);
        let a = -Infinity, b = -Infinity;
        for (const x of row) { if (x > a) { b = a; a = x; } else if (x > b) b = x; }
        if (Number.isFinite(b)) pipe.captured.margin = Math.min(pipe.captured.margin, a - b);
      }
      return logits;
    };
    const out = await generate({ ...args, logits_processor: [recorder] });
    const seqs = toNum(out.tolist());
    // Decoder-only: the prompt columns; encoder-decoder: the decoder start token.
    const n = seq2seq ? 1 : prompt_ids[0].length;
    if (seq2seq) pipe.captured.decoder_start_ids = seqs.map((s) => s.slice(0, 1));
    pipe.captured.ids = seqs.map((s) => s.slice(n));
    return out;
  };
  return pipe;
}

// Greedy argmax over the last position, no cache: the whole sequence each step.
async function noCacheGreedy(pipe, ids, steps) {
  const seq = ids.slice();
  const out = [];
  for (let k = 0; k < steps; ++k) {
    const input_ids = new Tensor('int64', BigInt64Array.from(seq.map(BigInt)), [1, seq.length]);
    const attention_mask = new Tensor('int64', new BigInt64Array(seq.length).fill(1n), [1, seq.length]);
    const { logits } = await pipe.model({ input_ids, attention_mask });
    const V = logits.dims.at(-1);
    const last = logits.data.subarray((seq.length - 1) * V, seq.length * V);
    let best = 0;
    for (let j = 1; j < V; ++j) if (last[j] > last[best]) best = j;
    out.push(best);
    seq.push(best);
  }
  return out;
}

async function checkModel(pipe, model) {
  // 1. The pipeline's cached generation == the no-cache loop.
  for (const p of [P1, P2]) {
    await pipe(p, { max_new_tokens: 12, eos_token_id: null });
    const { prompt_ids, ids } = pipe.captured;
    const ref = await noCacheGreedy(pipe, prompt_ids[0], 12);
    if (JSON.stringify(ref) !== JSON.stringify(ids[0])) {
      throw new Error(`${model}: cached generation ${ids[0]} != no-cache loop ${ref} for ${JSON.stringify(p)}`);
    }
  }
  // 2. A left-padded batch row == its single run.
  await pipe([SHORT, LONG, P3], { max_new_tokens: 10, eos_token_id: null });
  const batch = pipe.captured.ids;
  for (const [i, p] of [SHORT, LONG, P3].entries()) {
    await pipe(p, { max_new_tokens: 10, eos_token_id: null });
    if (JSON.stringify(pipe.captured.ids[0]) !== JSON.stringify(batch[i])) {
      throw new Error(`${model}: batch row ${i} ${batch[i]} != single run ${pipe.captured.ids[0]}`);
    }
  }
  const s = pipe.model.sessions.model;
  console.log(`OK   ${model}: inputs ${s.inputNames.join(',')} -> ${s.outputNames.join(',')}; cached == no-cache, padded batch == single`);
}

// ----------------------------------------------------------------------------------------------

const cases = [];

async function runCase(pipe, base, { seed = null } = {}) {
  const c = { name: base.name, model: base.model, task: pipe.task, dtype: DTYPE, kind: base.kind,
              input: base.input, options: base.options };
  if (seed !== null) c.seed = seed;
  if (base.note) c.note = base.note;
  pipe.captured = null;
  try {
    if (seed !== null) random.seed(seed);
    c.output = await pipe(structuredClone(base.input), structuredClone(base.options));
  } catch (e) {
    c.error = e.message;
  }
  if (pipe.captured) {
    c.prompt_ids = pipe.captured.prompt_ids;
    c.attention_mask = pipe.captured.attention_mask;
    if (pipe.captured.decoder_start_ids) c.decoder_start_ids = pipe.captured.decoder_start_ids;
    if (pipe.captured.ids) c.ids = pipe.captured.ids;
    if (c.kind === 'greedy' && pipe.captured.ids) c.min_logit_margin = Number(pipe.captured.margin.toPrecision(3));
  }
  // A greedy batch whose rows finish at different steps: Transformers.js 4.3.1 keeps generating for a
  // finished row, so its batch can differ from each row alone. transformers.cpp pads finished rows (Python
  // transformers' semantics): a batch gives what each row gives alone, recorded here in the batch's shape.
  if (c.kind === 'greedy' && !c.error && Array.isArray(base.input) && base.input.length > 1 &&
      typeof base.input[0] === 'string') {
    const alone = [];
    for (const row of base.input) alone.push(await pipe(row, structuredClone(base.options)));
    const shaped = pipe.task === 'text-generation' ? alone : alone.flat();
    if (JSON.stringify(shaped) !== JSON.stringify(c.output)) c.output_rows_alone = shaped;
  }
  if (Array.isArray(base.input) && base.input.length && typeof base.input[0] === 'object') {
    const chats = Array.isArray(base.input[0]) ? base.input : [base.input];
    c.rendered = chats.map((m) => pipe.tokenizer.apply_chat_template(m, { tokenize: false, add_generation_prompt: true }));
  }
  cases.push(c);
  return c;
}

// The step-th generated token's distribution, as LogitsSampler's MultinomialSampler sees it.
async function distribution(pipe, base, prefixFrom, step) {
  const { model } = pipe;
  const seq2seq = model.config.is_encoder_decoder;
  const text = pipe.tokenizer([base.input], {
    add_special_tokens: seq2seq ? true : base.options.add_special_tokens ?? ((pipe.tokenizer.add_bos_token || pipe.tokenizer.add_eos_token) ?? false),
    padding: true, truncation: true,
  });
  const prompt = toNum(text.input_ids.tolist())[0];
  if (JSON.stringify(prefixFrom.prompt_ids[0]) !== JSON.stringify(prompt)) throw new Error(`${base.name}: prompt differs from ${prefixFrom.name}`);
  // The sequence the logits processors see: decoder-only the prompt, encoder-decoder the decoder
  // start token; then the first step - 1 tokens of prefix_from.
  const head = seq2seq ? prefixFrom.decoder_start_ids[0] : prompt;
  const prefix = [...head, ...prefixFrom.ids[0].slice(0, step - 1)];
  const { add_special_tokens, ...genOpts } = base.options;
  const gen = model._prepare_generation_config(null, { max_new_tokens: 256, ...genOpts });
  if (gen.max_new_tokens !== null) gen.max_length = head.length + gen.max_new_tokens;
  const processors = model._get_logits_processor(gen, head.length, null);
  const i64 = (xs) => new Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
  const ones = (n) => new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
  const out = seq2seq
    ? await model({ input_ids: i64(prompt), attention_mask: ones(prompt.length), decoder_input_ids: i64(prefix) })
    : await model({ input_ids: i64(prefix), attention_mask: ones(prefix.length) });
  const logits = out.logits.slice(null, -1, null).to('float32');
  const scores = processors([prefix.map(BigInt)], logits)[0];
  const V = scores.dims.at(-1);
  const k = gen.top_k > 0 ? Math.min(gen.top_k, V) : V;
  const [v, i] = await topk(scores, k);
  const probs = softmax(v.data);
  const c = {
    name: base.name, model: base.model, task: pipe.task, dtype: DTYPE, kind: 'distribution',
    input: base.input, options: base.options, step, prefix_from: prefixFrom.name,
    ...(seq2seq ? { prompt_ids: [prompt] } : {}), prefix_ids: prefix,
    distribution: { token_ids: Array.from(i.data, Number), logits: Array.from(v.data, Number), probs: Array.from(probs, Number) },
  };
  if (base.note) c.note = base.note;
  cases.push(c);
  return c;
}

// First index >= from whose token did not occur earlier in ids (and is not in `avoid`).
function freshAt(ids, from, avoid = []) {
  for (let k = from; k < ids.length; ++k) {
    if (!ids.slice(0, k).includes(ids[k]) && !avoid.includes(ids[k])) return k;
  }
  throw new Error(`no fresh token after ${from} in ${ids}`);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
// [case, other case] pairs checked at the end; anyDiffer: at least one pair of the list differs.
const expect = { differ: [], equal: [], anyDiffer: [] };

async function decoderCases(model) {
  const pipe = await load(model);
  await checkModel(pipe, model);
  const isLlama = model === 'tiny-llama';
  const eosList = pipe.model.generation_config.eos_token_id;
  const eos = Array.isArray(eosList) ? eosList.at(-1) : eosList;
  const g = async (suffix, input, options, note) =>
    runCase(pipe, { name: `${model}/${suffix}`, model, kind: 'greedy', input, options, note });

  // Plain greedy.
  const base = await g('greedy-20', P1, { max_new_tokens: 20 });
  const b = base.ids[0];
  await g('greedy-20-p2', P2, { max_new_tokens: 20 });
  await g('greedy-20-p3', P3, { max_new_tokens: 20 });
  await g('greedy-20-p4', P4, { max_new_tokens: 20 });
  const hello = await g('greedy-20-short', SHORT, { max_new_tokens: 20 });
  await g('max_new_tokens-1', P1, { max_new_tokens: 1 });
  await g('max_new_tokens-0', P1, { max_new_tokens: 0 },
          'Transformers.js 4.3.1 checks the stopping criteria only after a step: max_new_tokens 0 still generates one token');
  await g(isLlama ? 'default-options' : 'error-default-options', P2, {},
          isLlama ? 'pipeline default max_new_tokens 256 (generation stops at an eos of generation_config)'
                  : 'pipeline default max_new_tokens 256: positions beyond n_positions 128, ONNX Runtime fails in the position-embedding Gather');

  // Batches (left-padded with the pad token; attention_mask 0 there; positions cumsum(mask) - 1, 1 on pads).
  const batch = await g('batch-2', [SHORT, LONG], { max_new_tokens: 12 });
  const batch3 = await g('batch-3', [P2, P1, 'A'], { max_new_tokens: 8 });

  // eos handling. X: a token greedy produces at step >= 6 for the first time.
  const kx = freshAt(b, 5);
  const X = b[kx];
  const ky = freshAt(b, Math.max(kx + 3, 8), [X]);
  const Y = b[ky];
  const eosEarly = await g('eos_token_id-early', P1, { max_new_tokens: 20, eos_token_id: X },
                           `eos_token_id ${X} is greedy's token at step ${kx + 1}`);
  if (eosEarly.ids[0].length !== kx + 1) throw new Error(`${model}: eos-early stopped after ${eosEarly.ids[0].length}, expected ${kx + 1}`);
  await g('min_new_tokens', P1, { max_new_tokens: 20, eos_token_id: X, min_new_tokens: kx + 5 });
  await g('min_length', P1, { max_new_tokens: 20, eos_token_id: X, min_length: base.prompt_ids[0].length + kx + 3 });
  await g('eos_token_id-list', P1, { max_new_tokens: 20, eos_token_id: [Y, X] });
  await g('eos_token_id-list-later', P1, { max_new_tokens: 20, eos_token_id: [eos, Y] },
          `stops at ${Y}, greedy's token at step ${ky + 1}`);
  // One row produces the eos, the other does not: Transformers.js 4.3.1 keeps generating for the
  // finished row (no pad substitution) and stops only when every row's last token is an eos.
  const p2ids = cases.find((c) => c.name === `${model}/greedy-20-p2`).ids[0];
  const kz = freshAt(b, 2, p2ids);
  await g('batch-eos-one-row', [P1, P2], { max_new_tokens: 20, eos_token_id: b[kz] },
          `eos ${b[kz]} is row 0's greedy token at step ${kz + 1}, absent from row 1's; row 0 goes on after it`);
  const kw = freshAt(p2ids, 2, b.slice(0, 20));
  await g('batch-eos-both-rows', [P1, P2], { max_new_tokens: 20, eos_token_id: [b[kz], p2ids[kw]] },
          `row 0 reaches eos ${b[kz]} at step ${kz + 1}, row 1 eos ${p2ids[kw]} at step ${kw + 1}: generation stops only when both last tokens are eos`);
  await g('min_new_tokens-batch', [P1, P2], { max_new_tokens: 12, eos_token_id: [b[kz], p2ids[kw]], min_new_tokens: 6 });

  // Logits processors.
  for (const [suffix, opts] of [
    ['repetition_penalty-1.3', { max_new_tokens: 20, repetition_penalty: 1.3 }],
    ['no_repeat_ngram_size-1', { max_new_tokens: 20, no_repeat_ngram_size: 1 }],
    ['no_repeat_ngram_size-2', { max_new_tokens: 20, no_repeat_ngram_size: 2 }],
    ['no_repeat_ngram_size-3', { max_new_tokens: 20, no_repeat_ngram_size: 3 }],
  ]) {
    const c = await g(suffix, P1, opts);
    const cs = await g(`${suffix}-short`, SHORT, opts);
    expect.anyDiffer.push([[c, base], [cs, hello]]);
  }
  const rpLow = await g('repetition_penalty-0.8-short', SHORT, { max_new_tokens: 20, repetition_penalty: 0.8 });
  expect.differ.push([rpLow, hello]);
  await g('repetition_penalty-1.3-batch', [SHORT, LONG], { max_new_tokens: 12, repetition_penalty: 1.3 });
  const lastPrompt = base.prompt_ids[0].at(-1);
  for (const [suffix, opts] of [
    ['bad_words_ids-single', { max_new_tokens: 20, bad_words_ids: [[b[2]]] }],
    ['bad_words_ids-sequence', { max_new_tokens: 20, bad_words_ids: [[b[4], b[5]]] }],
    ['bad_words_ids-spanning-prompt', { max_new_tokens: 20, bad_words_ids: [[lastPrompt, b[0]], [b[6], b[7], b[8]]] }],
    ['begin_suppress_tokens', { max_new_tokens: 20, begin_suppress_tokens: [b[0], b[1]] }],
    ['forced_eos_token_id', { max_new_tokens: 10, forced_eos_token_id: eos }],
  ]) {
    expect.differ.push([await g(suffix, P1, opts), base]);
  }
  // suppress_tokens: greedy's first token and the second token of the begin_suppress_tokens path
  // (suppressed at every step, unlike begin_suppress_tokens).
  const bs = cases.find((c) => c.name === `${model}/begin_suppress_tokens`);
  const sup = await g('suppress_tokens', P1, { max_new_tokens: 20, suppress_tokens: [b[0], bs.ids[0][1]] });
  expect.differ.push([sup, base], [sup, bs]);
  await g('begin_suppress_tokens-batch', [SHORT, LONG], { max_new_tokens: 8, begin_suppress_tokens: batch.ids.map((r) => r[0]) });
  await g('forced_eos_token_id-list', P1, { max_new_tokens: 10, forced_eos_token_id: isLlama ? eosList : [eos, b[0]] },
          'every listed id gets logit 0 at the last step, the rest -inf: greedy picks the lowest id');
  await g('forced_eos_token_id-batch', batch3.input, { max_new_tokens: 6, forced_eos_token_id: eos });
  // forced_bos_token_id acts where a row has exactly one token (a one-token prompt), and moves
  // begin_suppress_tokens one step later.
  const one = isLlama ? '' : 'The';
  const fb = await g('forced_bos_token_id', one, { max_new_tokens: 6, forced_bos_token_id: b[1] });
  expect.differ.push([await g('forced_bos_token_id-begin_suppress_tokens', one,
                              { max_new_tokens: 6, forced_bos_token_id: b[1], begin_suppress_tokens: [fb.ids[0][1]] },
                              'a one-token prompt with forced_bos_token_id: begin_suppress_tokens applies at the second step'), fb]);
  await g('combined-processors', P1, { max_new_tokens: 20, repetition_penalty: 1.2, no_repeat_ngram_size: 2,
                                       bad_words_ids: [[b[3]]], suppress_tokens: [b[5]], min_new_tokens: 4, eos_token_id: X });

  // Lengths and text.
  await g('return_full_text-false', P1, { max_new_tokens: 20, return_full_text: false });
  await g('return_full_text-false-batch', [SHORT, LONG], { max_new_tokens: 12, return_full_text: false });
  await g(isLlama ? 'max_length-ignored' : 'error-max_length-ignored', SHORT, { max_length: 12 },
          'the pipeline passes max_new_tokens 256 by default, which overrides max_length' +
          (isLlama ? '' : ': positions beyond n_positions 128, ONNX Runtime fails in the position-embedding Gather'));
  await g('max_length', SHORT, { max_length: 12, max_new_tokens: null });
  await g('max_length-below-prompt', P1, { max_length: 3, max_new_tokens: null },
          'max_length below the prompt length: one token is generated before the criteria are checked');
  expect.equal.push([await g('sampling-options-do_sample-false', P1, { max_new_tokens: 20, temperature: 0.7, top_k: 10, top_p: 0.9 }), base]);
  expect.equal.push([await g('do_sample-temperature-0', P1, { max_new_tokens: 20, do_sample: true, temperature: 0 },
                             'temperature 0 turns do_sample off (a warning): greedy'), base]);
  await g('error-num_return_sequences-2', P1, { max_new_tokens: 5, num_return_sequences: 2 });
  await g(isLlama ? 'empty-prompt' : 'error-empty-prompt', '', { max_new_tokens: 5 },
          isLlama ? 'the prompt is the BOS alone' : 'no BOS: input_ids [1, 0], ONNX Runtime fails');
  if (isLlama) {
    // add_bos_token true in tokenizer_config.json: the pipeline adds special tokens (the BOS).
    expect.differ.push([await g('add_special_tokens-false', P1, { max_new_tokens: 20, add_special_tokens: false }), base]);
    await g('chat', CHAT, { max_new_tokens: 20 });
    await g('chat-batch', [CHAT, CHAT2], { max_new_tokens: 10 });
    await g('chat-return_full_text-true', CHAT2, { max_new_tokens: 10, return_full_text: true },
            'chat input: return_full_text is always false');
  } else {
    expect.equal.push([await g('add_special_tokens-true', P1, { max_new_tokens: 20, add_special_tokens: true }), base]);
  }

  // Seeded sampling.
  const s = async (suffix, input, options, note) =>
    runCase(pipe, { name: `${model}/${suffix}`, model, kind: 'sample', input, options, note }, { seed: SEED });
  await s('sample-t0.7-k10-p0.9', P1, { max_new_tokens: 20, do_sample: true, temperature: 0.7, top_k: 10, top_p: 0.9 });
  await s('sample-defaults', P1, { max_new_tokens: 20, do_sample: true }, 'generation defaults: temperature 1, top_k 50');
  await s('sample-top_k-0', P2, { max_new_tokens: 10, do_sample: true, top_k: 0 }, 'top_k 0: the whole vocabulary');
  await s('sample-batch', [SHORT, LONG], { max_new_tokens: 10, do_sample: true, top_k: 20 }, 'rows draw in order at every step');
  await s('sample-repetition_penalty', P1, { max_new_tokens: 20, do_sample: true, temperature: 1.2, top_k: 30, repetition_penalty: 1.3 });
  await s('sample-num_return_sequences-2', SHORT, { max_new_tokens: 10, do_sample: true, num_return_sequences: 2 },
          'num_return_sequences is ignored when sampling: one sequence per input');

  // Distributions of one step.
  const d = (suffix, input, options, from, step, note) =>
    distribution(pipe, { name: `${model}/${suffix}`, model, input, options, note }, from, step);
  const t1 = await d('distribution-t0.7-k10-p0.9', P1, { do_sample: true, temperature: 0.7, top_k: 10, top_p: 0.9 }, base, 1,
                     'top_p is ignored by Transformers.js 4.3.1');
  if (t1.distribution.token_ids[0] !== b[0]) throw new Error(`${model}: distribution top token ${t1.distribution.token_ids[0]} != greedy ${b[0]}`);
  // The first draw of sample-t0.7-k10-p0.9, redone from this distribution with a fresh RNG seeded alike.
  {
    const { probs, token_ids } = t1.distribution;
    let x = new random.Random(SEED).random() * probs.reduce((a, p) => a + p, 0);
    let k = probs.findIndex((p) => (x -= p) < 0);
    if (k < 0) k = probs.length - 1;
    const sampled = cases.find((c) => c.name === `${model}/sample-t0.7-k10-p0.9`).ids[0][0];
    if (token_ids[k] !== sampled) throw new Error(`${model}: first sampled token ${sampled}, the draw from the distribution gives ${token_ids[k]}`);
  }
  await d('distribution-t0.7-k10-p0.9-step4', P1, { do_sample: true, temperature: 0.7, top_k: 10, top_p: 0.9 }, base, 4);
  await d('distribution-defaults', P1, { do_sample: true }, base, 1, 'temperature 1, top_k 50');
  await d('distribution-t1.5-repetition_penalty-step3', SHORT, { do_sample: true, temperature: 1.5, top_k: 20, repetition_penalty: 1.3 }, hello, 3);
  await d('distribution-top_k-0', P2, { do_sample: true, temperature: 0.9, top_k: 0 },
          cases.find((c) => c.name === `${model}/greedy-20-p2`), 1, 'top_k 0: the whole vocabulary');

  await pipe.dispose();
}

const M1 = 'hello world, the unknown is in the abc.';
const M2 = 'the cat is on the table and the dog is in the garden';
const M3 = '>>fra<< hello world';
const M4 = 'hello world';

// Encoder-decoder: translation, text2text-generation and summarization share Text2TextGenerationPipeline
// (max_new_tokens 256 by default, over generation_config.json's max_length 64).
async function seq2seqCases(model) {
  const tr = await load(model, 'translation');
  const t2t = await load(model, 'text2text-generation');
  const sum = await load(model, 'summarization');
  await checkSeq2seq(tr, model);
  const pad = tr.model.generation_config.pad_token_id;
  const eos = tr.model.generation_config.eos_token_id;
  const g = (pipe, suffix, input, options, note) =>
    runCase(pipe, { name: `${model}/${suffix}`, model, kind: 'greedy', input, options, note });
  const base = await g(tr, 'translation-greedy', M1, { max_new_tokens: 20 });
  const b = base.ids[0];
  await g(tr, 'translation-greedy-2', M2, { max_new_tokens: 20 });
  const lang = await g(tr, 'translation-language-code', M3, { max_new_tokens: 20 },
                       'MarianTokenizer keeps a leading >>xx<< language code as one token');
  const hello = await g(tr, 'translation-greedy-short', M4, { max_new_tokens: 20 });
  await g(tr, 'translation-batch', [M4, M2, M1], { max_new_tokens: 12 },
          'the encoder input is right-padded (pad 80, attention_mask 0); a row goes on after its </s> until every row stops');
  await g(tr, 'translation-default-options', M4, {},
          'max_new_tokens 256 (pipeline default) overrides generation_config max_length 64; forced_eos_token_id makes the last token </s>');
  await g(tr, 'translation-max_length', M4, { max_new_tokens: null, max_length: 10 });
  await g(t2t, 'text2text-greedy', M1, { max_new_tokens: 20 });
  await g(t2t, 'text2text-batch', [M2, M4], { max_new_tokens: 10 });
  await g(sum, 'summarization-greedy', M2, { max_new_tokens: 15 });
  for (const [suffix, input, opts, ref, note] of [
    ['repetition_penalty-1.3', M4, { max_new_tokens: 20, repetition_penalty: 1.3 }, hello],
    ['no_repeat_ngram_size-1', M4, { max_new_tokens: 20, no_repeat_ngram_size: 1 }, hello],
    ['no_repeat_ngram_size-2', M2, { max_new_tokens: 20, no_repeat_ngram_size: 2 }, null],
    ['bad_words_ids', M1, { max_new_tokens: 20, bad_words_ids: [[b[1]], [b[2], b[3]]] }, base],
    ['bad_words_ids-replaces-config', M1, { max_new_tokens: 20, bad_words_ids: [[b[0]]] },  base],
    ['suppress_tokens', M1, { max_new_tokens: 20, suppress_tokens: [b[0], eos] }, base,
     'suppress_tokens runs after forced_eos_token_id (generation_config): at the last step every logit is -inf and greedy takes id 0 (the first maximum)'],
    ['begin_suppress_tokens', M1, { max_new_tokens: 20, begin_suppress_tokens: [b[0]] }, base],
    ['forced_bos_token_id', M1, { max_new_tokens: 20, forced_bos_token_id: 2 }, base],
    ['forced_eos_token_id-null', M4, { max_new_tokens: 12, forced_eos_token_id: null }, null],
    ['min_new_tokens', M1, { max_new_tokens: 20, min_new_tokens: b.length + 3 }, base],
    ['eos_token_id-list', M4, { max_new_tokens: 20, eos_token_id: [hello.ids[0][4], eos] }, hello],
    ['decoder_start_token_id', M1, { max_new_tokens: 20, decoder_start_token_id: 2 }, base,
     'the decoder start token is part of the decoded sequence: >>fra<< (not special) shows in the text, <pad> does not'],
  ]) {
    const c = await g(tr, suffix, input, opts, note);
    if (ref) expect.differ.push([c, ref]);
  }
  await g(tr, 'error-num_return_sequences-2', M1, { max_new_tokens: 5, num_return_sequences: 2 });
  const s = (suffix, input, options, note) =>
    runCase(tr, { name: `${model}/${suffix}`, model, kind: 'sample', input, options, note }, { seed: SEED });
  await s('sample-t0.8-k10', M1, { max_new_tokens: 15, do_sample: true, temperature: 0.8, top_k: 10 });
  await s('sample-batch', [M4, M2], { max_new_tokens: 10, do_sample: true, top_k: 20 });
  const d = (suffix, input, options, from, step, note) =>
    distribution(tr, { name: `${model}/${suffix}`, model, input, options, note }, from, step);
  const d1 = await d('distribution-t0.7-k10', M1, { do_sample: true, temperature: 0.7, top_k: 10 }, base, 1,
                     'the processors from generation_config.json apply too: bad_words_ids [[80]]');
  if (d1.distribution.token_ids[0] !== b[0]) throw new Error(`${model}: distribution top token ${d1.distribution.token_ids[0]} != greedy ${b[0]}`);
  await d('distribution-repetition_penalty-step3', M3, { do_sample: true, temperature: 1.2, top_k: 0, repetition_penalty: 1.3 }, lang, 3,
          'top_k 0: the whole vocabulary (the pad token -inf: bad_words_ids of generation_config.json)');
  for (const p of [tr, t2t, sum]) await p.dispose();
}

// Encoder-decoder checks: cached generation == a no-cache loop (decoder over the whole prefix, empty
// past, use_cache_branch false); a right-padded source batch row == its single run.
async function checkSeq2seq(pipe, model) {
  const enc = (t) => pipe.tokenizer([t], { padding: true, truncation: true });
  for (const t of [M1, M2]) {
    await pipe(t, { max_new_tokens: 10, eos_token_id: null, forced_eos_token_id: null, bad_words_ids: null });
    const { ids, decoder_start_ids } = pipe.captured;
    const { input_ids, attention_mask } = enc(t);
    const seq = [...decoder_start_ids[0]];
    const ref = [];
    for (let k = 0; k < 10; ++k) {
      const decoder_input_ids = new Tensor('int64', BigInt64Array.from(seq.map(BigInt)), [1, seq.length]);
      const { logits } = await pipe.model({ input_ids, attention_mask, decoder_input_ids });
      const V = logits.dims.at(-1);
      const last = logits.data.subarray((seq.length - 1) * V, seq.length * V);
      let best = 0;
      for (let j = 1; j < V; ++j) if (last[j] > last[best]) best = j;
      ref.push(best);
      seq.push(best);
    }
    if (!same(ref, ids[0])) throw new Error(`${model}: cached generation ${ids[0]} != no-cache loop ${ref}`);
  }
  const texts = [M4, M2, M3];
  const opts = { max_new_tokens: 8, eos_token_id: null, forced_eos_token_id: null };
  await pipe(texts, opts);
  const batch = pipe.captured.ids;
  for (const [i, t] of texts.entries()) {
    await pipe(t, opts);
    if (!same(pipe.captured.ids[0], batch[i])) throw new Error(`${model}: batch row ${i} ${batch[i]} != single run ${pipe.captured.ids[0]}`);
  }
  const s = pipe.model.sessions;
  console.log(`OK   ${model}: encoder ${s.model.inputNames.join(',')} -> ${s.model.outputNames.join(',')}; ` +
              `decoder_model_merged ${s.decoder_model_merged.inputNames.length} inputs -> ${s.decoder_model_merged.outputNames.length} outputs; ` +
              'cached == no-cache, padded batch == single');
}

await decoderCases('tiny-gpt2');
await decoderCases('tiny-llama');
await seq2seqCases('tiny-marian');

// ----------------------------------------------------------------------------------------------

const names = new Set(cases.map((c) => c.name));
if (names.size !== cases.length) throw new Error('duplicate case names');
for (const c of cases) {
  const wantError = c.name.split('/')[1].startsWith('error-');
  if (c.kind !== 'distribution' && wantError !== ('error' in c)) throw new Error(`${c.name}: ${wantError ? 'expected an error' : `threw: ${c.error}`}`);
}
for (const [a, b] of expect.differ) if (same(a.ids, b.ids)) throw new Error(`${a.name}: same ids as ${b.name} (the option has no effect)`);
for (const pairs of expect.anyDiffer) {
  if (pairs.every(([a, b]) => same(a.ids, b.ids))) throw new Error(`${pairs.map(([a]) => a.name).join(', ')}: the option has no effect`);
}
for (const [a, b] of expect.equal) if (!same(a.ids, b.ids) || !same(a.output, b.output)) throw new Error(`${a.name}: differs from ${b.name}`);
for (const c of cases.filter((x) => 'min_logit_margin' in x)) {
  // Deliberate ties only where forced_eos_token_id lists several ids.
  if (c.min_logit_margin < 1e-4 && !c.name.includes('forced_eos_token_id-list')) throw new Error(`${c.name}: greedy within ${c.min_logit_margin} of a tie`);
}
for (const c of cases.filter((x) => x.kind === 'greedy' && x.ids)) {
  const ids = new Set(c.ids.flat());
  if (c.name.endsWith('greedy-20') && ids.size < 12) throw new Error(`${c.name}: only ${ids.size} distinct tokens`);
}

fs.mkdirSync(path.dirname(outFile), { recursive: true });
const generator = 'tools/golden/generation_goldens.mjs';
const body = cases.map((c) => '  ' + JSON.stringify(c)).join(',\n');
fs.writeFileSync(
  outFile,
  `{"generator": ${JSON.stringify(generator)}, "transformers_js_version": ${JSON.stringify(version)},\n` +
    ` "cases": [\n${body}\n]}\n`,
);
const kinds = {};
for (const c of cases) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
console.log(`wrote ${path.relative(repo, outFile)}: ${cases.length} cases (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), ${fs.statSync(outFile).size} bytes`);
