// Golden outputs of Transformers.js pipelines on the committed fixture models.
//
// Regenerate (after tools/fixtures/make_models.py changed the fixtures):
//
//   cd tools/node && node ../golden/pipeline_goldens.mjs
//
// Every case is dtype fp32 (onnx/model.onnx) except the "q8-*" cases (onnx/model_quantized.onnx).
// A q8 case's numbers depend on ONNX Runtime's int8 GEMM kernel, which the CPU picks (docs/testing.md):
// it has "int8_outputs": {"exact": ..., "saturating": ...} instead of "output". A run writes the entry
// of its own CPU's path (or --int8-path=P) and keeps the other from the existing file;
// --q8-only rewrites nothing else. tools/golden/regenerate_pipelines.sh writes both paths on a VNNI host
// (the saturating one under qemu-x86_64 -cpu EPYC-Rome, an AVX2 CPU without VNNI).
// Writes tests/fixtures/golden/pipelines.json:
//   {"generator", "transformers_js_version", "cases": [{"name", "model", "task", "dtype", "input",
//     "options" (exactly what was passed to the call; {} for none), "output"}]}
// text-classification "output" is the JS result as JSON; feature-extraction results (a Tensor) are
// written as {"dims": [...], "data": [flat floats]}.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { int8PathFromArgs } from './int8_path.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tjsDir = path.join(repo, 'tools/node/node_modules/@huggingface/transformers');
const tjs = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
const { env, pipeline } = tjs;
const version = JSON.parse(fs.readFileSync(path.join(tjsDir, 'package.json'), 'utf8')).version;

const modelsRoot = path.join(repo, 'tests/fixtures/models');
const outFile = path.join(repo, 'tests/fixtures/golden/pipelines.json');

env.allowRemoteModels = false;
env.localModelPath = modelsRoot + '/';
env.useFSCache = false;

const DTYPE = 'fp32';

const argv = process.argv.slice(2);
const q8Only = argv.includes('--q8-only');
const INT8_PATH = int8PathFromArgs(argv);
const previous = fs.existsSync(outFile) ? JSON.parse(fs.readFileSync(outFile, 'utf8')).cases : [];
const previousByName = new Map(previous.map((c) => [c.name, c]));

// 10,000 words: every model truncates this to its tokenizer's model_max_length.
const cycle = 'i do not like it but it is so good'.split(' ');
const LONG = Array.from({ length: 10000 }, (_, i) => cycle[i % cycle.length]).join(' ');

const SINGLE = 'I love this';
const BATCH = [
  'I love this',
  'This is the worst film I have ever seen, and I have seen a great many bad films.',
  'ok',
  'Not bad at all, actually quite good!',
];
const UNICODE = 'Café naïve résumé — Ünïcödé ÀÉÎÕÜ 東京は素晴らしい 你好世界 😀🎉 👍🏽 ß ﬁ';

const CLASSIFIERS = ['tiny-bert-sentiment', 'tiny-bert-multilabel', 'tiny-bert-3class-noproblem'];
const EMBEDDERS = ['tiny-bert-embedder', 'tiny-distilbert-embedder'];

function classifierCases() {
  return [
    ['single', SINGLE, {}],
    ['batch', BATCH, {}],
    ['top_k-1', SINGLE, { top_k: 1 }],
    ['top_k-2', SINGLE, { top_k: 2 }],
    ['top_k-3', SINGLE, { top_k: 3 }],
    ['top_k-null', SINGLE, { top_k: null }],
    ['batch-top_k-2', BATCH, { top_k: 2 }],
    ['batch-top_k-null', BATCH, { top_k: null }],
    ['long-10000-words-top_k-null', LONG, { top_k: null }],
    ['empty', '', {}],
    ['empty-top_k-null', '', { top_k: null }],
    ['unicode', UNICODE, {}],
    ['unicode-top_k-null', UNICODE, { top_k: null }],
    ['batch-of-one', ['x'], {}],
    ['batch-of-one-top_k-null', ['x'], { top_k: null }],
  ];
}

function embedderCases() {
  const cases = [];
  for (const pooling of ['none', 'mean', 'cls']) {
    for (const normalize of [false, true]) {
      const tag = `${pooling}${normalize ? '-normalized' : ''}`;
      const options = { pooling, normalize };
      if (pooling === 'none') {
        cases.push([`${tag}-single`, 'hello world', options]);
        cases.push([`${tag}-batch`, ['hello world', 'a b', 'the cat sat on the mat'], options]);
      } else {
        cases.push([`${tag}-single`, SINGLE, options]);
        cases.push([`${tag}-batch`, BATCH, options]);
        cases.push([`${tag}-unicode`, UNICODE, options]);
      }
      cases.push([`${tag}-empty`, '', options]);
    }
  }
  cases.push(['default-options-single', 'hello world', {}]);
  cases.push(['mean-normalized-long-10000-words', LONG, { pooling: 'mean', normalize: true }]);
  cases.push(['mean-batch-of-one', ['x'], { pooling: 'mean' }]);
  return cases;
}

function toJson(output) {
  if (output && typeof output === 'object' && 'dims' in output && 'data' in output) {
    return { dims: [...output.dims], data: Array.from(output.data, Number) };
  }
  return output;
}

const cases = [];
if (q8Only) cases.push(...previous.filter((c) => c.dtype !== 'q8'));
else for (const [models, task, makeCases] of [
  [CLASSIFIERS, 'text-classification', classifierCases],
  [EMBEDDERS, 'feature-extraction', embedderCases],
]) {
  for (const model of models) {
    const pipe = await pipeline(task, model, { dtype: DTYPE });
    for (const [suffix, input, options] of makeCases()) {
      // Pass a copy so the recorded options are exactly what the call received, untouched.
      const output = await pipe(input, { ...options });
      cases.push({ name: `${model}/${suffix}`, model, task, dtype: DTYPE, input, options, output: toJson(output) });
    }
    await pipe.dispose();
  }
}

// dtype q8 (onnx/model_quantized.onnx, dynamically quantized int8) where a fixture ships it.
{
  const model = 'tiny-bert-sentiment';
  const pipe = await pipeline('text-classification', model, { dtype: 'q8' });
  for (const [suffix, input, options] of [
    ['q8-single', SINGLE, {}],
    ['q8-batch-top_k-null', BATCH, { top_k: null }],
  ]) {
    const output = await pipe(input, { ...options });
    const name = `${model}/${suffix}`;
    const int8_outputs = { ...(previousByName.get(name)?.int8_outputs ?? {}), [INT8_PATH]: output };
    cases.push({ name, model, task: 'text-classification', dtype: 'q8', input, options, int8_outputs });
  }
  await pipe.dispose();
}

const names = new Set(cases.map((c) => c.name));
if (names.size !== cases.length) throw new Error('duplicate case names');

fs.mkdirSync(path.dirname(outFile), { recursive: true });
const doc = { generator: 'tools/golden/pipeline_goldens.mjs', transformers_js_version: version, cases };
// One case per line: small diffs when regenerated.
const body = cases.map((c) => '  ' + JSON.stringify(c)).join(',\n');
fs.writeFileSync(
  outFile,
  `{"generator": ${JSON.stringify(doc.generator)}, "transformers_js_version": ${JSON.stringify(version)},\n` +
    ` "cases": [\n${body}\n]}\n`,
);
console.log(`wrote ${path.relative(repo, outFile)}: ${cases.length} cases (q8 entries: ${INT8_PATH} int8 path), ` +
            `${fs.statSync(outFile).size} bytes`);
