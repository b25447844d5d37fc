// Transformers.js 4.3.1's translation pipeline on the trained transliteration model
// (tests/fixtures/models/translit-ru-latn, tools/translit/train.py): the first 60 held-out words
// (tests/fixtures/translit/held_out.tsv, never seen in training) one call each, fp32 and q8, and the same
// 60 words as one batched call (fp32). Writes tests/fixtures/golden/translit.json:
//   {"generator", "transformers_js_version", "model", "cases": [{"dtype", "input", "output"}],
//    "batched": {"dtype", "inputs", "outputs"}}
// A q8 case has "int8_outputs": {"exact": ..., "saturating": ...} instead of "output": the int8 GEMM kernel
// the CPU picks changes the logits enough to flip a near-tie of greedy decoding (on the AVX2-only EPYC,
// one word of 60 ended a letter earlier; docs/testing.md). A run writes its own CPU's path (or
// --int8-path=P) and keeps the other from the existing file; --q8-only rewrites nothing else.
//   cd tools/node && node ../golden/translit_goldens.mjs
//   qemu-x86_64 -cpu EPYC-Rome "$(command -v node)" ../golden/translit_goldens.mjs --q8-only --int8-path=saturating
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { int8PathFromArgs } from './int8_path.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tjsDir = path.join(repo, 'tools/node/node_modules/@huggingface/transformers');
const { env, pipeline } = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
const version = JSON.parse(fs.readFileSync(path.join(tjsDir, 'package.json'), 'utf8')).version;
env.allowRemoteModels = false;
env.localModelPath = path.join(repo, 'tests/fixtures/models') + '/';
env.useFSCache = false;

const argv = process.argv.slice(2);
const q8Only = argv.includes('--q8-only');
const INT8_PATH = int8PathFromArgs(argv);
const outFile = path.join(repo, 'tests/fixtures/golden/translit.json');
const previous = fs.existsSync(outFile) ? JSON.parse(fs.readFileSync(outFile, 'utf8')) : { cases: [] };
const previousCase = (dtype, input) => previous.cases.find((c) => c.dtype === dtype && c.input === input);

const MODEL = 'translit-ru-latn';
const words = fs.readFileSync(path.join(repo, 'tests/fixtures/translit/held_out.tsv'), 'utf8')
  .split('\n').filter(Boolean).slice(0, 60).map((l) => l.split('\t')[0]);
const session = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const cases = [];
let batched = q8Only ? previous.batched : null;
for (const dtype of q8Only ? ['q8'] : ['fp32', 'q8']) {
  const t = await pipeline('translation', MODEL, { dtype, session_options: session });
  for (const w of words) {
    const [out] = await t(w);
    if (dtype === 'q8') {
      const int8_outputs = { ...(previousCase(dtype, w)?.int8_outputs ?? {}), [INT8_PATH]: out.translation_text };
      cases.push({ dtype, input: w, int8_outputs });
    } else {
      cases.push({ dtype, input: w, output: out.translation_text });
    }
  }
  if (dtype === 'fp32') {
    const outs = await t(words);
    batched = { dtype, inputs: words, outputs: outs.map((o) => o.translation_text) };
  }
  await t.dispose();
}
if (q8Only) cases.unshift(...previous.cases.filter((c) => c.dtype !== 'q8'));
const lines = cases.map((c) => JSON.stringify(c));
fs.writeFileSync(outFile,
  `{"generator": "tools/golden/translit_goldens.mjs", "transformers_js_version": ${JSON.stringify(version)},\n` +
  ` "model": ${JSON.stringify(MODEL)},\n "cases": [\n  ${lines.join(',\n  ')}\n ],\n` +
  ` "batched": ${JSON.stringify(batched)}}\n`);
console.log(`wrote ${cases.length} cases (q8: the ${INT8_PATH} int8 path) and a batch of ${words.length}`);
