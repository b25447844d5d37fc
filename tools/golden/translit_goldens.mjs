// Transformers.js 4.3.1's translation pipeline on the trained transliteration model
// (tests/fixtures/models/translit-ru-latn, tools/translit/train.py): the first 60 held-out words
// (tests/fixtures/translit/held_out.tsv, never seen in training) one call each, fp32 and q8, and the same
// 60 words as one batched call (fp32). Writes tests/fixtures/golden/translit.json:
//   {"generator", "transformers_js_version", "model", "cases": [{"dtype", "input", "output"}],
//    "batched": {"dtype", "inputs", "outputs"}}
//   cd tools/node && node ../golden/translit_goldens.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tjsDir = path.join(repo, 'tools/node/node_modules/@huggingface/transformers');
const { env, pipeline } = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
const version = JSON.parse(fs.readFileSync(path.join(tjsDir, 'package.json'), 'utf8')).version;
env.allowRemoteModels = false;
env.localModelPath = path.join(repo, 'tests/fixtures/models') + '/';
env.useFSCache = false;

const MODEL = 'translit-ru-latn';
const words = fs.readFileSync(path.join(repo, 'tests/fixtures/translit/held_out.tsv'), 'utf8')
  .split('\n').filter(Boolean).slice(0, 60).map((l) => l.split('\t')[0]);
const session = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const cases = [];
let batched = null;
for (const dtype of ['fp32', 'q8']) {
  const t = await pipeline('translation', MODEL, { dtype, session_options: session });
  for (const w of words) {
    const [out] = await t(w);
    cases.push({ dtype, input: w, output: out.translation_text });
  }
  if (dtype === 'fp32') {
    const outs = await t(words);
    batched = { dtype, inputs: words, outputs: outs.map((o) => o.translation_text) };
  }
  await t.dispose();
}
const lines = cases.map((c) => JSON.stringify(c));
fs.writeFileSync(path.join(repo, 'tests/fixtures/golden/translit.json'),
  `{"generator": "tools/golden/translit_goldens.mjs", "transformers_js_version": ${JSON.stringify(version)},\n` +
  ` "model": ${JSON.stringify(MODEL)},\n "cases": [\n  ${lines.join(',\n  ')}\n ],\n` +
  ` "batched": ${JSON.stringify(batched)}}\n`);
console.log(`wrote ${cases.length} cases and a batch of ${words.length}`);
