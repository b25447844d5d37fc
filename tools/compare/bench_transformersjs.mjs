// Speed/memory baseline: Transformers.js pipeline (default) or bare onnxruntime-node (--raw) on a
// local model folder. Prints ONE JSON object on stdout (the same fields as
// `transformers-cpp bench ... --json`).
//
//   node --expose-gc tools/compare/bench_transformersjs.mjs --task text-classification \
//        --model tests/fixtures/models/tiny-bert-sentiment --batch 1 --seq 16 --runs 50 --threads 1 [--raw]
//
// Input rule (shared with the C++ bench): B copies of the word "hello" repeated S-2 times,
// separated by spaces, so BERT's tokenizer yields exactly S tokens with [CLS] and [SEP].
// --raw feeds pre-built int64 tensors of that shape instead ([101, 7592 x (S-2), 102], mask 1,
// token_type_ids 0; ids looked up in the folder's tokenizer.json) straight to an InferenceSession
// on the same onnx/model.onnx.
//
// Pipeline calls: text-classification with no options (top_k 1); feature-extraction with
// {pooling: 'mean', normalize: true} unless --pooling/--no-normalize say otherwise.
// Timings: load_ms = pipeline() (tokenizer + config + session) or InferenceSession.create();
// first_run_ms = first call; then --runs timed calls: p50/p90 (nearest rank) and
// seqs_per_s = batch * runs / total time of the timed calls.
// RSS (MiB): before_load (modules imported), after_load, after_runs, after_dispose
// (pipe.dispose() / session.release(), then global.gc() when node runs with --expose-gc).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nodeModules = path.join(repo, 'tools/node/node_modules');

function parseArgs(argv) {
  const a = { task: 'text-classification', model: null, batch: 1, seq: 16, runs: 20, threads: 0,
              raw: false, pooling: 'mean', normalize: true, warmup: 0 };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${k}`);
      return argv[++i];
    };
    switch (k) {
      case '--task': a.task = next(); break;
      case '--model': a.model = next(); break;
      case '--batch': a.batch = parseInt(next(), 10); break;
      case '--seq': a.seq = parseInt(next(), 10); break;
      case '--runs': a.runs = parseInt(next(), 10); break;
      case '--threads': a.threads = parseInt(next(), 10); break;
      case '--warmup': a.warmup = parseInt(next(), 10); break;
      case '--pooling': a.pooling = next(); break;
      case '--no-normalize': a.normalize = false; break;
      case '--raw': a.raw = true; break;
      case '-h': case '--help':
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0]);
        process.exit(0);
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  if (!a.model) throw new Error('--model DIR is required');
  if (!(a.batch >= 1 && a.seq >= 2 && a.runs >= 1)) throw new Error('need --batch >= 1, --seq >= 2, --runs >= 1');
  if (!(a.threads >= 0)) throw new Error('--threads must be >= 0');
  if (a.threads === 0) a.threads = os.availableParallelism?.() ?? os.cpus().length;
  a.model = path.resolve(a.model);
  return a;
}

const mib = () => +(process.memoryUsage().rss / (1024 * 1024)).toFixed(1);
const gc = () => { if (global.gc) { global.gc(); global.gc(); } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Ids from the model's tokenizer.json (7592/101/102 with the full BERT vocabulary). The input rule
// needs "hello" to be one token: cut-down vocabularies (the 5k fixtures) split it, so they are refused.
function tokenIds(dir, tokens) {
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
  return tokens.map((t) => {
    if (vocab[t] === undefined)
      throw new Error(`"${t}" is not a single token in ${dir}/tokenizer.json: use a model with the full BERT vocabulary`);
    return vocab[t];
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const sessionOptions = { intraOpNumThreads: a.threads, interOpNumThreads: 1 };
  const words = Array(a.seq - 2).fill('hello').join(' ');
  const texts = Array(a.batch).fill(words);
  tokenIds(a.model, ['hello', '[CLS]', '[SEP]']);  // fail early on vocabularies that split "hello"

  let load, call, dispose, impl, implVersion;
  if (a.raw) {
    const ort = createRequire(path.join(nodeModules, 'noop.js'))('onnxruntime-node');
    implVersion = JSON.parse(fs.readFileSync(path.join(nodeModules, 'onnxruntime-node/package.json'), 'utf8')).version;
    impl = 'onnxruntime-node';
    let session, feeds;
    load = async () => {
      session = await ort.InferenceSession.create(path.join(a.model, 'onnx/model.onnx'),
                                                  { executionProviders: ['cpu'], ...sessionOptions });
      const n = a.batch * a.seq;
      const [hello, cls, sep] = tokenIds(a.model, ['hello', '[CLS]', '[SEP]']);
      const ids = new BigInt64Array(n).fill(BigInt(hello));
      for (let b = 0; b < a.batch; ++b) { ids[b * a.seq] = BigInt(cls); ids[b * a.seq + a.seq - 1] = BigInt(sep); }
      const all = {
        input_ids: new ort.Tensor('int64', ids, [a.batch, a.seq]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [a.batch, a.seq]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [a.batch, a.seq]),
      };
      feeds = {};
      for (const name of session.inputNames) {
        if (!all[name]) throw new Error(`unexpected model input ${name}`);
        feeds[name] = all[name];
      }
    };
    call = () => session.run(feeds);
    dispose = async () => { await session.release(); session = null; feeds = null; };
  } else {
    const tjsDir = path.join(nodeModules, '@huggingface/transformers');
    implVersion = JSON.parse(fs.readFileSync(path.join(tjsDir, 'package.json'), 'utf8')).version;
    const { env, pipeline } = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
    env.allowRemoteModels = false;
    env.localModelPath = path.dirname(a.model) + '/';
    env.useFSCache = false;
    impl = 'transformers.js';
    let pipe;
    const options = a.task === 'feature-extraction' ? { pooling: a.pooling, normalize: a.normalize } : {};
    load = async () => {
      pipe = await pipeline(a.task, path.basename(a.model), { dtype: 'fp32', session_options: sessionOptions });
      const n = pipe.tokenizer(texts, { padding: true, truncation: true }).input_ids.dims;
      if (n[0] !== a.batch || n[1] !== a.seq)
        throw new Error(`tokenized input is [${n}], expected [${a.batch}, ${a.seq}] (model_max_length too small?)`);
    };
    call = () => pipe(texts, { ...options });
    dispose = async () => { await pipe.dispose(); pipe = null; };
  }

  gc();
  await sleep(10);
  const rss = { before_load: mib() };
  let t = performance.now();
  await load();
  const load_ms = performance.now() - t;
  rss.after_load = mib();

  t = performance.now();
  await call();
  const first_run_ms = performance.now() - t;
  for (let i = 0; i < a.warmup; ++i) await call();

  const times = [];
  const t0 = performance.now();
  for (let i = 0; i < a.runs; ++i) {
    t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  const total = performance.now() - t0;
  rss.after_runs = mib();

  await dispose();
  gc();
  await sleep(50);
  gc();
  rss.after_dispose = mib();

  times.sort((x, y) => x - y);
  const r3 = (x) => +x.toFixed(3);
  const out = {
    impl,
    task: a.task,
    model: a.model,
    batch: a.batch,
    seq: a.seq,
    runs: a.runs,
    threads: a.threads,
    load_ms: r3(load_ms),
    first_run_ms: r3(first_run_ms),
    p50_ms: r3(percentile(times, 50)),
    p90_ms: r3(percentile(times, 90)),
    seqs_per_s: r3((a.batch * a.runs * 1000) / total),
    rss_mib: rss,
    impl_version: implVersion,
    gc_exposed: !!global.gc,
  };
  if (a.task === 'feature-extraction' && !a.raw) out.options = { pooling: a.pooling, normalize: a.normalize };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error(`bench_transformersjs: ${e?.stack ?? e}`);
  process.exit(1);
});
