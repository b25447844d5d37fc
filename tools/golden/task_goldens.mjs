// Golden outputs of Transformers.js pipelines for the token-level and pair tasks on the fixtures of
// tools/fixtures/make_task_models.py (tiny-bert-ner, tiny-bert-mlm, tiny-bert-qa, tiny-bert-nli).
//
// Regenerate (after make_task_models.py changed the fixtures):
//
//   cd tools/node && node ../golden/task_goldens.mjs
//
// It first checks each model in Transformers.js (a padded batch equals unpadded single runs), then
// writes tests/fixtures/golden/tasks.json:
//   {"generator", "transformers_js_version", "cases": [{"name", "model", "task", "dtype": "fp32",
//     "input", "options", "output" | "error", ...}]}
// "input" is exactly what was passed: a string or a list of strings; question-answering
// {"question", "context"} (two strings or two lists); zero-shot-classification {"texts",
// "candidate_labels"}; text pairs {"text", "text_pair"} or a list of them. "options" is exactly what
// was passed ({} for none). "output" is the JS result as JSON; "error" the message when the call threw.
//
// Two kinds of cases are not a plain pipeline call:
// - text-classification of pairs ("note"): the 4.3.1 pipeline cannot take pairs (an {text, text_pair}
//   object reaches the tokenizer as a non-string and is encoded as an empty text, [CLS] [SEP]), so the
//   output is computed as the pipeline does for single texts, with the tokenizer given text_pair:
//   tokenizer(texts, {text_pair, padding: true, truncation: true}) -> model -> softmax -> topk(top_k),
//   and the same output nesting.
// - token-classification "first" / "average" / "max" (which 4.3.1 refuses, see the "error" cases)
//   and "simple" with Hugging Face Python semantics: "reference": "aggregation_ref.py". The output
//   comes from tools/golden/aggregation_ref.py (run by this script with /usr/bin/python3, or $PYTHON),
//   written from HF transformers' TokenClassificationPipeline, fed with "input_ids" and "logits"
//   (one entry per text: ids with [CLS]/[SEP], float32 logits [tokens][labels] of Transformers.js
//   running the model on that text alone). Output in HF's shape, with start/end character offsets
//   (Unicode code points) into the text.
// - question-answering `max_answer_len`, `doc_stride` / `max_seq_len` windows (which 4.3.1 lacks), and
//   plain calls with character offsets: "reference": "qa_windows_ref.py". The output comes from
//   tools/golden/qa_windows_ref.py (which documents the semantics), fed with "windows" (one entry per
//   window: input_ids, token_type_ids built here with Transformers.js' tokenizer, and the float32
//   start_logits / end_logits of Transformers.js' model running that window alone); it tokenizes
//   again itself and fails unless its windows equal these. Output in Transformers.js' shape with
//   start/end character offsets (code points) into the context. Checked here: every answer string
//   equals Transformers.js' decode of its tokens, and with neither option the reference gives
//   Transformers.js' own answers and scores on every plain question-answering case; and, when
//   tools/tokenizer_ref is installed, the doc_stride windows equal Hugging Face tokenizers' own.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tjsDir = path.join(repo, 'tools/node/node_modules/@huggingface/transformers');
const tjs = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
const { env, pipeline, Tensor, topk, softmax } = tjs;
const version = JSON.parse(fs.readFileSync(path.join(tjsDir, 'package.json'), 'utf8')).version;

const modelsRoot = path.join(repo, 'tests/fixtures/models');
const outFile = path.join(repo, 'tests/fixtures/golden/tasks.json');

env.allowRemoteModels = false;
env.localModelPath = modelsRoot + '/';
env.useFSCache = false;

const DTYPE = 'fp32';

// ----------------------------------------------------------------------------------------------
// Inputs

const NER_SINGLE = 'John Smith lives in New York and works for the United Nations.';
const NER_BATCH = [
  'Sarah visited Paris with her brother David last summer.',
  'The University of London was founded long before Google opened an office in Berlin.',
  'Zoë ate sushi 🍣 in Kyoto with Kenji.', // ë (accent stripped), 🍣 ([UNK], outside the BMP)
];
const NER_LONG =
  'Yesterday, Professor Angela Merkel and Barack Obama traveled from Washington to Tokyo to meet executives of Microsoft and Toyota.';

const QA_CONTEXT_1 = 'John Smith lives in New York and works for the United Nations.';
const QA_CONTEXT_2 = 'Sarah visited Paris with her brother David last summer, and then they flew home to London.';
const QA_CONTEXT_3 = 'The company was founded in Berlin in 1998 by Anna Schmidt and her business partner Marco Rossi.';

// ~150 words, 211 tokens (accents: Zürich, García, café): with the questions below 9-10 windows of 48 tokens
// (doc_stride 16), 10 of 40 (doc_stride 8), 22 of 40 (doc_stride 20).
const QA_LONG_CONTEXT =
  'In the spring of 1998, Anna Schmidt left her small village near Zürich and moved to Berlin, where she found ' +
  'work at a bookshop owned by an old sailor named Peter Hansen. Every morning she walked along the river to ' +
  'the shop, and every evening she wrote letters to her brother Thomas, who was studying medicine in Vienna. ' +
  'Two years later, Peter sold the shop to a young teacher from Madrid called Elena García. Elena turned the ' +
  'back room into a small café, and soon students from the university came there to read and talk. In 2003 ' +
  'Anna married David Miller, an engineer from London, and they moved to a house by the lake in Hamburg. ' +
  'Thomas finished his studies and opened a clinic in Salzburg, close to the mountains. Elena still runs the ' +
  'bookshop today, and every summer Anna and David travel back to Berlin to visit her.';

const ZS_TEXT_1 = 'The team won the championship after a dramatic final in Madrid.';
const ZS_TEXT_2 = 'The parliament in London passed a new budget law on Tuesday.';
const ZS_LABELS = ['sports', 'politics', 'cooking'];

const PAIR_1 = { text: 'A man is playing a guitar on stage in Chicago.', text_pair: 'A person is performing music.' };
const PAIR_2 = { text: 'The old man in Rome sells fresh bread every morning.', text_pair: 'A baker works in Italy.' };
const PAIR_3 = { text: 'It is raining heavily in Seattle today.', text_pair: 'The weather in Seattle is sunny.' };

// [name suffix, input, options]
const NER_CASES = [
  ['single', NER_SINGLE, {}],
  ['batch', NER_BATCH, {}],
  ['long', NER_LONG, {}],
  ['aggregation-none', NER_SINGLE, { aggregation_strategy: 'none' }],
  ['simple-single', NER_SINGLE, { aggregation_strategy: 'simple' }],
  ['simple-batch', NER_BATCH, { aggregation_strategy: 'simple' }],
  ['simple-long', NER_LONG, { aggregation_strategy: 'simple' }],
  ['ignore_labels-empty', NER_SINGLE, { ignore_labels: [] }],
  ['ignore_labels-O-B-PER', NER_LONG, { ignore_labels: ['O', 'B-PER'] }],
  ['simple-ignore_labels-empty', [NER_SINGLE, NER_LONG], { aggregation_strategy: 'simple', ignore_labels: [] }],
  ['simple-ignore_labels-O-B-PER', NER_LONG, { aggregation_strategy: 'simple', ignore_labels: ['O', 'B-PER'] }],
  ['error-first', NER_SINGLE, { aggregation_strategy: 'first' }],
  ['error-average', NER_SINGLE, { aggregation_strategy: 'average' }],
  ['error-max', NER_SINGLE, { aggregation_strategy: 'max' }],
];

// Hugging Face Python semantics (aggregation_ref.py).
const NER_REF_CASES = [];
for (const strategy of ['first', 'average', 'max', 'simple']) {
  NER_REF_CASES.push([`hf-${strategy}-single`, NER_SINGLE, { aggregation_strategy: strategy }]);
  NER_REF_CASES.push([`hf-${strategy}-batch`, NER_BATCH, { aggregation_strategy: strategy }]);
  NER_REF_CASES.push([`hf-${strategy}-long`, NER_LONG, { aggregation_strategy: strategy }]);
}
for (const strategy of ['first', 'average', 'max']) {
  NER_REF_CASES.push([`hf-${strategy}-ignore_labels-empty`, NER_LONG, { aggregation_strategy: strategy, ignore_labels: [] }]);
}
// Same input and options as the Transformers.js case simple-ignore_labels-empty: nothing is filtered
// and neither text has an [UNK], so the two "simple" implementations must agree (checked below).
NER_REF_CASES.push(['hf-simple-ignore_labels-empty', [NER_SINGLE, NER_LONG], { aggregation_strategy: 'simple', ignore_labels: [] }]);

const MLM_CASES = [
  ['single', 'The capital of France is [MASK].', {}],
  ['top_k-1', 'My friend [MASK] lives in London.', { top_k: 1 }],
  ['batch-top_k-3', ['I bought a [MASK] in Paris.', 'She works for a large [MASK] in Tokyo with her sister Emma and her friend Lucas.'], { top_k: 3 }],
  ['two-masks', 'I went to [MASK] and bought [MASK] bread.', {}],
  ['error-no-mask', 'There is no mask token in this sentence.', {}],
  ['error-batch-one-without-mask', ['Paris is a [MASK] city.', 'No mask here.'], {}],
];

const QA_CASES = [
  ['single', { question: 'Where does John live?', context: QA_CONTEXT_1 }, {}],
  ['top_k-3', { question: 'Who founded the company?', context: QA_CONTEXT_3 }, { top_k: 3 }],
  ['batch-top_k-1', { question: ['Where does John live?', 'Where did Sarah go?'], context: [QA_CONTEXT_1, QA_CONTEXT_2] }, { top_k: 1 }],
  ['batch-top_k-2', { question: ['Where does John live?', 'Where did Sarah go?'], context: [QA_CONTEXT_1, QA_CONTEXT_2] }, { top_k: 2 }],
  ['unk-in-context-top_k-3', { question: 'What did Zoë eat?', context: 'Zoë ate sushi 🍣 in Kyoto with Kenji.' }, { top_k: 3 }],
];

// qa_windows_ref.py: [name suffix, {question, context} (strings), options]
const QA_REF_CASES = [
  // Plain calls (same input and options as the Transformers.js cases): the answers with offsets.
  ['ref-top_k-3', { question: 'Who founded the company?', context: QA_CONTEXT_3 }, { top_k: 3 }],
  ['ref-unk-in-context-top_k-3', { question: 'What did Zoë eat?', context: 'Zoë ate sushi 🍣 in Kyoto with Kenji.' }, { top_k: 3 }],
  // max_answer_len on one window (top_k-3's answers "1998 by anna sch" and "##co ros" are 5 and 3 tokens).
  ['ref-max_answer_len-2-top_k-3', { question: 'Who founded the company?', context: QA_CONTEXT_3 }, { top_k: 3, max_answer_len: 2 }],
  ['ref-max_answer_len-1', { question: 'Where did Sarah go?', context: QA_CONTEXT_2 }, { max_answer_len: 1 }], // not "and then"
  // Windows over the long context.
  ['ref-long-doc_stride-16-max_seq_len-48-top_k-3', { question: 'Where did Anna move in 1998?', context: QA_LONG_CONTEXT }, { doc_stride: 16, max_seq_len: 48, top_k: 3 }],
  ['ref-long-doc_stride-8-max_seq_len-40-top_k-1', { question: 'Who bought the shop from Peter?', context: QA_LONG_CONTEXT }, { doc_stride: 8, max_seq_len: 40, top_k: 1 }],
  ['ref-long-doc_stride-16-max_seq_len-48-top_k-2-max_answer_len-3', { question: 'Where did Thomas open a clinic?', context: QA_LONG_CONTEXT }, { doc_stride: 16, max_seq_len: 48, top_k: 2, max_answer_len: 3 }],
  // Overlapping windows find the same span: a lower-scored copy is skipped before top_k answers are kept.
  ['ref-long-dedup-doc_stride-16-max_seq_len-48-top_k-3-max_answer_len-2', { question: 'What did Thomas study?', context: QA_LONG_CONTEXT }, { doc_stride: 16, max_seq_len: 48, top_k: 3, max_answer_len: 2 }],
  ['ref-long-dedup-doc_stride-8-max_seq_len-40-top_k-3-max_answer_len-3', { question: 'Who bought the shop from Peter?', context: QA_LONG_CONTEXT }, { doc_stride: 8, max_seq_len: 40, top_k: 3, max_answer_len: 3 }],
  ['ref-long-dedup-doc_stride-20-max_seq_len-40-top_k-5', { question: 'Where is the bookshop?', context: QA_LONG_CONTEXT }, { doc_stride: 20, max_seq_len: 40, top_k: 5 }],
  // doc_stride with a context that fits: one window, the same as no doc_stride.
  ['ref-doc_stride-one-window-top_k-2', { question: 'Where did Sarah go?', context: QA_CONTEXT_2 }, { doc_stride: 16, max_seq_len: 64, top_k: 2 }],
  // max_seq_len without doc_stride: the pair cut at 24 tokens (the last [SEP] too), as Transformers.js truncates.
  ['ref-max_seq_len-24-top_k-2', { question: 'Where did Sarah go?', context: QA_CONTEXT_2 }, { max_seq_len: 24, top_k: 2 }],
];

const ZS_CASES = [
  ['single', { texts: ZS_TEXT_1, candidate_labels: ZS_LABELS }, {}],
  ['multi_label', { texts: ZS_TEXT_1, candidate_labels: ZS_LABELS }, { multi_label: true }],
  ['hypothesis_template', { texts: ZS_TEXT_1, candidate_labels: ZS_LABELS }, { hypothesis_template: 'The topic is {}.' }],
  ['batch', { texts: [ZS_TEXT_1, ZS_TEXT_2], candidate_labels: ZS_LABELS }, {}],
  ['batch-multi_label', { texts: [ZS_TEXT_1, ZS_TEXT_2], candidate_labels: ZS_LABELS }, { multi_label: true }],
  ['one-label', { texts: ZS_TEXT_2, candidate_labels: ['politics'] }, {}],
  ['one-label-string', { texts: ZS_TEXT_2, candidate_labels: 'politics' }, {}],
];

const PAIR_CASES = [
  ['pair', PAIR_1, {}],
  ['pair-batch', [PAIR_1, PAIR_2, PAIR_3], {}],
  ['pair-top_k-null', PAIR_1, { top_k: null }],
  ['pair-batch-top_k-null', [PAIR_1, PAIR_2, PAIR_3], { top_k: null }],
  ['pair-batch-top_k-2', [PAIR_1, PAIR_2], { top_k: 2 }],
];
const PAIR_NOTE =
  'Transformers.js 4.3.1 text-classification does not take text pairs; computed as its pipeline does for ' +
  'single texts with the tokenizer given text_pair: tokenizer(texts, {text_pair, padding: true, truncation: true}) ' +
  '-> model -> softmax -> topk(top_k), same output nesting';

// ----------------------------------------------------------------------------------------------
// Model checks: a padded batch equals unpadded single runs, output by output.

async function checkModel(pipe, inputs) {
  const texts = inputs.map((x) => (typeof x === 'string' ? x : x[0]));
  const pairs = inputs.every((x) => typeof x !== 'string') ? inputs.map((x) => x[1]) : null;
  const enc = (t, p) => pipe.tokenizer(t, { ...(p ? { text_pair: p } : {}), padding: true, truncation: true });
  const batch = await pipe.model(enc(texts, pairs));
  let maxDiff = 0;
  const names = Object.keys(batch).filter((k) => batch[k]?.dims);
  for (let i = 0; i < texts.length; ++i) {
    const single = await pipe.model(enc([texts[i]], pairs ? [pairs[i]] : null));
    for (const k of names) {
      const b = batch[k], s = single[k];
      if (b.dims.length === 2 && k === 'logits') { // [batch, labels]
        const n = b.dims[1];
        for (let j = 0; j < n; ++j) maxDiff = Math.max(maxDiff, Math.abs(b.data[i * n + j] - s.data[j]));
      } else { // [batch, seq, ...]
        const inner = b.dims.slice(2).reduce((a, x) => a * x, 1);
        const len = s.dims[1] * inner;
        const off = i * b.dims[1] * inner;
        for (let j = 0; j < len; ++j) maxDiff = Math.max(maxDiff, Math.abs(b.data[off + j] - s.data[j]));
      }
    }
  }
  const ok = maxDiff < 1e-4;
  console.log(`${ok ? 'OK  ' : 'FAIL'} ${pipe.model.config.architectures?.[0]} outputs ${names.join(',')} ` +
              `(inputs ${pipe.model.sessions.model.inputNames.join(',')}): padded batch vs single max abs diff ${maxDiff.toExponential(2)}`);
  if (!ok) process.exit(1);
}

// ----------------------------------------------------------------------------------------------

const cases = [];
async function record(base, run) {
  const { name, model, task, input, options, ...extra } = base;
  const c = { name, model, task, dtype: DTYPE, input, options, ...extra };
  try {
    c.output = await run();
  } catch (e) {
    c.error = e.message;
  }
  cases.push(c);
  return c;
}

// token-classification
{
  const model = 'tiny-bert-ner';
  const pipe = await pipeline('token-classification', model, { dtype: DTYPE });
  await checkModel(pipe, [NER_SINGLE, ...NER_BATCH, NER_LONG]);
  for (const [suffix, input, options] of NER_CASES) {
    await record({ name: `${model}/${suffix}`, model, task: 'token-classification', input, options },
                 () => pipe(input, structuredClone(options)));
  }
  // Reference cases: the logits of each text alone, then aggregation_ref.py.
  const stubs = [];
  for (const [suffix, input, options] of NER_REF_CASES) {
    const texts = Array.isArray(input) ? input : [input];
    const input_ids = [], logits = [];
    for (const t of texts) {
      const enc = pipe.tokenizer(t, { truncation: true });
      const { logits: l } = await pipe.model(enc);
      const [, n, k] = l.dims;
      input_ids.push(enc.input_ids.tolist()[0].map(Number));
      logits.push(Array.from({ length: n }, (_, j) => Array.from(l.data.subarray(j * k, (j + 1) * k), Number)));
    }
    stubs.push({ name: `${model}/${suffix}`, model, task: 'token-classification', dtype: DTYPE, input, options,
                 reference: 'aggregation_ref.py', input_ids, logits });
  }
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, [path.join(repo, 'tools/golden/aggregation_ref.py')],
                      { input: JSON.stringify(stubs), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`aggregation_ref.py failed (${r.status}): ${r.error ?? ''}${r.stderr}`);
  const outputs = JSON.parse(r.stdout);
  for (const s of stubs) {
    if (!(s.name in outputs)) throw new Error(`aggregation_ref.py gave no output for ${s.name}`);
    const { input_ids, logits, ...rest } = s;
    cases.push({ ...rest, output: outputs[s.name], input_ids, logits });
  }
  // Cross-check: HF "simple" == Transformers.js "simple" when nothing is filtered and there is no [UNK].
  const tjsSimple = cases.find((c) => c.name === `${model}/simple-ignore_labels-empty`).output;
  const hfSimple = outputs[`${model}/hf-simple-ignore_labels-empty`];
  let worst = 0;
  const strip = (g) => g.map(({ entity_group, word }) => `${entity_group}:${word}`).join('|');
  tjsSimple.forEach((groups, i) => {
    if (strip(groups) !== strip(hfSimple[i])) throw new Error(`simple cross-check: text ${i} groups differ:\n  ${strip(groups)}\n  ${strip(hfSimple[i])}`);
    groups.forEach((g, j) => { worst = Math.max(worst, Math.abs(g.score - hfSimple[i][j].score)); });
  });
  console.log(`OK   simple cross-check (Transformers.js vs aggregation_ref.py, ignore_labels []): same groups, max score diff ${worst.toExponential(2)}`);
  await pipe.dispose();
}

// fill-mask
{
  const model = 'tiny-bert-mlm';
  const pipe = await pipeline('fill-mask', model, { dtype: DTYPE });
  await checkModel(pipe, ['The capital of France is [MASK].', 'a [MASK]', 'She works for a large [MASK] in Tokyo with her sister Emma and her friend Lucas.']);
  for (const [suffix, input, options] of MLM_CASES) {
    await record({ name: `${model}/${suffix}`, model, task: 'fill-mask', input, options },
                 () => pipe(input, structuredClone(options)));
  }
  await pipe.dispose();
}

// question-answering
{
  const model = 'tiny-bert-qa';
  const pipe = await pipeline('question-answering', model, { dtype: DTYPE });
  await checkModel(pipe, [['Where does John live?', QA_CONTEXT_1], ['Who?', QA_CONTEXT_3], ['Where did Sarah go?', 'Paris.']]);
  for (const [suffix, input, options] of QA_CASES) {
    await record({ name: `${model}/${suffix}`, model, task: 'question-answering', input, options },
                 () => pipe(input.question, input.context, structuredClone(options)));
  }
  await pipe.dispose();
}

// zero-shot-classification and text-classification of pairs (tiny-bert-nli)
{
  const model = 'tiny-bert-nli';
  const zs = await pipeline('zero-shot-classification', model, { dtype: DTYPE });
  await checkModel(zs, [[ZS_TEXT_1, 'This example is sports.'], [ZS_TEXT_2, 'This example is cooking.'], ['ok', 'ok']]);
  for (const [suffix, input, options] of ZS_CASES) {
    await record({ name: `${model}/zero-shot-${suffix}`, model, task: 'zero-shot-classification', input, options },
                 () => zs(input.texts, input.candidate_labels, structuredClone(options)));
  }
  await zs.dispose();

  const tc = await pipeline('text-classification', model, { dtype: DTYPE });
  // TextClassificationPipeline._call, with text_pair given to the tokenizer.
  const classifyPairs = async (input, { top_k = 1 } = {}) => {
    const batched = Array.isArray(input);
    const items = batched ? input : [input];
    const texts = items.map((x) => x.text), pairs = items.map((x) => x.text_pair);
    const model_inputs = tc.tokenizer(batched ? texts : texts[0],
                                      { text_pair: batched ? pairs : pairs[0], padding: true, truncation: true });
    const outputs = await tc.model(model_inputs);
    const { id2label } = tc.model.config;
    const toReturn = [];
    for (const batch of outputs.logits) {
      const output = new Tensor('float32', softmax(batch.data), batch.dims);
      const scores = await topk(output, top_k);
      const values = scores[0].tolist();
      const indices = scores[1].tolist();
      const vals = indices.map((x, i) => ({ label: id2label ? id2label[x] : `LABEL_${x}`, score: values[i] }));
      if (top_k === 1) toReturn.push(...vals);
      else toReturn.push(vals);
    }
    return batched || top_k === 1 ? toReturn : toReturn[0];
  };
  for (const [suffix, input, options] of PAIR_CASES) {
    await record({ name: `${model}/${suffix}`, model, task: 'text-classification', input, options, note: PAIR_NOTE },
                 () => classifyPairs(input, structuredClone(options)));
  }
  await tc.dispose();
}

// question-answering reference cases (qa_windows_ref.py), after every Transformers.js case.
{
  const model = 'tiny-bert-qa';
  const pipe = await pipeline('question-answering', model, { dtype: DTYPE });
  const tok = pipe.tokenizer;
  const toIds = (t) => t.tolist()[0].map(Number);
  const int64 = (xs) => new Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
  // Each window: [CLS] question [SEP] part of the context [SEP] (HF "only_second" with stride), or
  // without doc_stride the pair as Transformers.js truncates it.
  const windowsOf = (question, context, { doc_stride = null, max_seq_len = null }) => {
    if (doc_stride === null) {
      const enc = tok(question, { text_pair: context, truncation: true, ...(max_seq_len === null ? {} : { max_length: max_seq_len }) });
      return [{ input_ids: toIds(enc.input_ids), token_type_ids: toIds(enc.token_type_ids) }];
    }
    const bare = (t) => toIds(tok(t, { add_special_tokens: false }).input_ids);
    const q = bare(question), c = bare(context);
    const head = toIds(tok(question).input_ids); // [CLS] question [SEP], as the post-processor adds them
    if (head.length !== q.length + 2 || head.at(-1) !== Number(tok.sep_token_id)) throw new Error(`unexpected specials: ${head}`);
    const room = (max_seq_len ?? tok.model_max_length) - q.length - 3;
    if (room <= doc_stride) throw new Error(`room ${room} <= doc_stride ${doc_stride}`);
    const out = [];
    for (let start = 0; ; start += room - doc_stride) {
      const part = c.slice(start, start + room);
      out.push({ input_ids: [...head, ...part, Number(tok.sep_token_id)],
                 token_type_ids: [...Array(q.length + 2).fill(0), ...Array(part.length + 1).fill(1)] });
      if (start + room >= c.length) break;
    }
    return out;
  };
  const stubFor = async (name, input, options) => {
    const windows = [];
    for (const w of windowsOf(input.question, input.context, options)) {
      const { start_logits, end_logits } = await pipe.model({
        input_ids: int64(w.input_ids), attention_mask: int64(w.input_ids.map(() => 1)), token_type_ids: int64(w.token_type_ids) });
      windows.push({ ...w, start_logits: Array.from(start_logits.data, Number), end_logits: Array.from(end_logits.data, Number) });
    }
    return { name, model, task: 'question-answering', dtype: DTYPE, input, options, reference: 'qa_windows_ref.py', windows };
  };
  const stubs = [];
  for (const [suffix, input, options] of QA_REF_CASES) stubs.push(await stubFor(`${model}/${suffix}`, input, options));
  // The doc_stride windows against Hugging Face's Rust tokenizers (only_second, stride, overflowing
  // parts), when tools/tokenizer_ref is installed ((cd tools/tokenizer_ref && npm ci)).
  const refDir = path.join(repo, 'tools/tokenizer_ref');
  if (fs.existsSync(path.join(refDir, 'node_modules/@anush008/tokenizers'))) {
    const { Tokenizer } = createRequire(path.join(refDir, 'package.json'))('@anush008/tokenizers');
    let windows = 0;
    for (const s of stubs.filter((x) => x.options.doc_stride != null)) {
      const hf = Tokenizer.fromFile(path.join(modelsRoot, model, 'tokenizer.json'));
      hf.setTruncation(s.options.max_seq_len, { strategy: 'OnlySecond', stride: s.options.doc_stride });
      const enc = await hf.encode(s.input.question, s.input.context, { addSpecialTokens: true });
      const got = [enc, ...enc.getOverflowing()].map((e) => [Array.from(e.getIds()), Array.from(e.getTypeIds())]);
      const want = s.windows.map((w) => [w.input_ids, w.token_type_ids]);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${s.name}: windows differ from tokenizers' only_second with stride`);
      windows += want.length;
    }
    console.log(`OK   QA doc_stride windows equal Hugging Face tokenizers' only_second + stride + overflowing (${windows} windows)`);
  } else {
    console.log('SKIP QA doc_stride windows vs Hugging Face tokenizers: tools/tokenizer_ref not installed');
  }
  // Cross-check stubs (not written): every question/context pair of the plain Transformers.js cases.
  const xchecks = [];
  for (const [suffix, input, options] of QA_CASES) {
    const qs = [input.question].flat(), cs = [input.context].flat();
    for (let i = 0; i < qs.length; ++i) {
      const top_k = options.top_k ?? 1;
      xchecks.push({ tjs: `${model}/${suffix}`, index: Array.isArray(input.question) ? i : null, top_k,
                     stub: await stubFor(`xcheck:${suffix}:${i}`, { question: qs[i], context: cs[i] }, { top_k }) });
    }
  }
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, [path.join(repo, 'tools/golden/qa_windows_ref.py')],
                      { input: JSON.stringify([...stubs, ...xchecks.map((x) => x.stub)]), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`qa_windows_ref.py failed (${r.status}): ${r.error ?? ''}${r.stderr}`);
  const outputs = JSON.parse(r.stdout);
  const list = (o) => (Array.isArray(o) ? o : [o]);
  // Every answer is Transformers.js' decode of its window's tokens s..e.
  for (const s of [...stubs, ...xchecks.map((x) => x.stub)]) {
    if (!(s.name in outputs)) throw new Error(`qa_windows_ref.py gave no output for ${s.name}`);
    const { output, spans } = outputs[s.name];
    list(output).forEach((a, k) => {
      const [w, b, e] = spans[k];
      const want = tok.decode(s.windows[w].input_ids.slice(b, e + 1), { skip_special_tokens: true });
      if (a.answer !== want) throw new Error(`${s.name}: answer ${k} ${JSON.stringify(a.answer)}, Transformers.js decodes ${JSON.stringify(want)}`);
      if (!(a.score > 0) || !(a.start < a.end) || a.end > [...s.input.context].length) throw new Error(`${s.name}: answer ${k} ${JSON.stringify(a)}`);
    });
  }
  // Without doc_stride / max_answer_len the reference must give Transformers.js' answers and scores.
  let worst = 0, answers = 0;
  for (const x of xchecks) {
    const tjsOut = cases.find((c) => c.name === x.tjs).output;
    const tjsAnswers = list(x.index === null ? tjsOut : tjsOut[x.index]);
    const refAnswers = list(outputs[x.stub.name].output);
    const strip = (as) => as.map((a) => a.answer).join('|');
    if (strip(tjsAnswers) !== strip(refAnswers)) {
      throw new Error(`QA cross-check ${x.tjs}[${x.index ?? 0}]: answers differ:\n  ${strip(tjsAnswers)}\n  ${strip(refAnswers)}`);
    }
    tjsAnswers.forEach((a, k) => { worst = Math.max(worst, Math.abs(a.score - refAnswers[k].score) / a.score); ++answers; });
    console.log(`     ${x.tjs}[${x.index ?? 0}]: ${strip(refAnswers)} | ${refAnswers.map((a) => `${a.start}-${a.end}`).join(' ')}`);
  }
  if (worst > 1e-12) throw new Error(`QA cross-check: score relative diff ${worst}`);
  console.log(`OK   QA cross-check (Transformers.js vs qa_windows_ref.py, ${xchecks.length} inputs, ${answers} answers): same answers, max relative score diff ${worst.toExponential(2)}`);
  for (const s of stubs) {
    const { windows, ...rest } = s;
    cases.push({ ...rest, output: outputs[s.name].output, windows });
    console.log(`     ${s.name}: ${windows.length} window(s) of ${windows.map((w) => w.input_ids.length).join(',')} tokens`);
  }
  await pipe.dispose();
}

// ----------------------------------------------------------------------------------------------

const names = new Set(cases.map((c) => c.name));
if (names.size !== cases.length) throw new Error('duplicate case names');
const expectedErrors = cases.filter((c) => c.name.split('/')[1].startsWith('error-'));
for (const c of cases) {
  const wantError = expectedErrors.includes(c);
  if (wantError !== ('error' in c)) throw new Error(`${c.name}: ${wantError ? 'expected an error' : `threw: ${c.error}`}`);
}

fs.mkdirSync(path.dirname(outFile), { recursive: true });
const generator = 'tools/golden/task_goldens.mjs';
// One case per line: small diffs when regenerated.
const body = cases.map((c) => '  ' + JSON.stringify(c)).join(',\n');
fs.writeFileSync(
  outFile,
  `{"generator": ${JSON.stringify(generator)}, "transformers_js_version": ${JSON.stringify(version)},\n` +
    ` "cases": [\n${body}\n]}\n`,
);
console.log(`wrote ${path.relative(repo, outFile)}: ${cases.length} cases, ${fs.statSync(outFile).size} bytes`);
