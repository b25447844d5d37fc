// Memory baseline: Transformers.js pipeline (--impl transformers.js, default) or bare onnxruntime-node
// (--impl onnxruntime-node) on a local model folder: process RSS across load / run / dispose, repeated
// create/run/dispose cycles, and reuse when a second model is loaded after the first was disposed.
// Prints ONE JSON object on stdout. Run node with --expose-gc (without it the GC is not forced and
// "gc_exposed" is false in the output).
//
//   node --expose-gc tools/compare/memory_transformersjs.mjs --impl transformers.js \
//        --model models/bert-base-sized-classifier --task text-classification --cycles 20 --threads 2 \
//        [--then models/minilm-sized-classifier] [--batch 4 --seq 20] [--wait-ms 2000] [--cycle-wait-ms 100]
//
// Input. transformers.js: the same 4 sentences as `transformers-cpp mem` (src/cli/mem_stages.cpp),
// one call with the batch of 4 (padded to 20 tokens by BERT's tokenizer), no call options.
// onnxruntime-node: pre-built int64 tensors [B, S] (default 4 x 20, the same shape) as in
// bench_transformersjs.mjs --raw: [101, 7592 x (S-2), 102], mask 1, token_type_ids 0; dispose is
// `session.release()`.
//
// Phases (RSS in MiB from process.memoryUsage().rss), in the order `transformers-cpp mem` runs them:
//   before_load        modules imported, gc, 10 ms
//   after_load         pipeline() / InferenceSession.create() returned
//   after_run          after the first call
//   after_dispose      dispose() / release(), gc, --wait-ms (2000), gc
//   second_after_load  (--then DIR2) a second model loaded after the first was disposed
//   second_after_run   its first call
//   second_after_dispose  disposed, gc, --wait-ms, gc
// then --cycles N create/run/dispose cycles of the first model (gc + --cycle-wait-ms (100) + gc after
// each dispose),
// RSS after each in cycle_rss_mib; cycle_growth_mib = last - first.
// load_ms = median load time over the first load and the cycles' loads; load_ms_first = the first.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nodeModules = path.join(repo, 'tools/node/node_modules');

// Kept identical to sample_inputs() in src/cli/mem_stages.cpp.
const SAMPLE_TEXTS = [
  'The quick brown fox jumps over the lazy dog.',
  'Memory that is given back to the operating system can be used by every other program.',
  'ok',
  'A somewhat longer sentence, so that the batch is padded and the working memory is real.',
];

function parseArgs(argv) {
  const a = { impl: 'transformers.js', task: 'text-classification', model: null, then: null, cycles: 20,
              threads: 0, batch: 4, seq: 20, waitMs: 2000, cycleWaitMs: 100 };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${k}`);
      return argv[++i];
    };
    switch (k) {
      case '--impl': a.impl = next(); break;
      case '--task': a.task = next(); break;
      case '--model': a.model = next(); break;
      case '--then': a.then = next(); break;
      case '--cycles': a.cycles = parseInt(next(), 10); break;
      case '--threads': a.threads = parseInt(next(), 10); break;
      case '--batch': a.batch = parseInt(next(), 10); break;
      case '--seq': a.seq = parseInt(next(), 10); break;
      case '--wait-ms': a.waitMs = parseInt(next(), 10); break;
      case '--cycle-wait-ms': a.cycleWaitMs = parseInt(next(), 10); break;
      case '-h': case '--help':
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0]);
        process.exit(0);
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  if (!a.model) throw new Error('--model DIR is required');
  if (!['transformers.js', 'onnxruntime-node'].includes(a.impl))
    throw new Error('--impl must be transformers.js or onnxruntime-node');
  if (!(a.cycles >= 0 && a.batch >= 1 && a.seq >= 2 && a.waitMs >= 0 && a.cycleWaitMs >= 0))
    throw new Error('need --cycles >= 0, --batch >= 1, --seq >= 2, --wait-ms >= 0, --cycle-wait-ms >= 0');
  if (!(a.threads >= 0)) throw new Error('--threads must be >= 0');
  if (a.threads === 0) a.threads = os.availableParallelism?.() ?? os.cpus().length;
  a.model = path.resolve(a.model);
  if (a.then) a.then = path.resolve(a.then);
  return a;
}

const mib = () => +(process.memoryUsage().rss / (1024 * 1024)).toFixed(1);
const gc = () => { if (global.gc) { global.gc(); global.gc(); } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const v = [...xs].sort((x, y) => x - y);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

function tokenIds(dir, tokens) {
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
  return tokens.map((t) => {
    if (vocab[t] === undefined)
      throw new Error(`"${t}" is not a single token in ${dir}/tokenizer.json: use a model with the full BERT vocabulary`);
    return vocab[t];
  });
}

// Returns { load(dir) -> handle, run(handle), dispose(handle), version }.
async function makeImpl(a) {
  const sessionOptions = { intraOpNumThreads: a.threads, interOpNumThreads: 1 };
  if (a.impl === 'onnxruntime-node') {
    const ort = createRequire(path.join(nodeModules, 'noop.js'))('onnxruntime-node');
    const version = JSON.parse(fs.readFileSync(path.join(nodeModules, 'onnxruntime-node/package.json'), 'utf8')).version;
    return {
      version,
      load: async (dir) => {
        const session = await ort.InferenceSession.create(path.join(dir, 'onnx/model.onnx'),
                                                          { executionProviders: ['cpu'], ...sessionOptions });
        const n = a.batch * a.seq;
        const [hello, cls, sep] = tokenIds(dir, ['hello', '[CLS]', '[SEP]']);
        const ids = new BigInt64Array(n).fill(BigInt(hello));
        for (let b = 0; b < a.batch; ++b) { ids[b * a.seq] = BigInt(cls); ids[b * a.seq + a.seq - 1] = BigInt(sep); }
        const all = {
          input_ids: new ort.Tensor('int64', ids, [a.batch, a.seq]),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [a.batch, a.seq]),
          token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [a.batch, a.seq]),
        };
        const feeds = {};
        for (const name of session.inputNames) {
          if (!all[name]) throw new Error(`unexpected model input ${name}`);
          feeds[name] = all[name];
        }
        return { session, feeds };
      },
      run: async (h) => { await h.session.run(h.feeds); },
      dispose: async (h) => { await h.session.release(); h.session = null; h.feeds = null; },
    };
  }
  const tjsDir = path.join(nodeModules, '@huggingface/transformers');
  const version = JSON.parse(fs.readFileSync(path.join(tjsDir, 'package.json'), 'utf8')).version;
  const { env, pipeline } = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
  env.allowRemoteModels = false;
  env.useFSCache = false;
  return {
    version,
    load: async (dir) => {
      env.localModelPath = path.dirname(dir) + '/';
      const pipe = await pipeline(a.task, path.basename(dir), { dtype: 'fp32', session_options: sessionOptions });
      return { pipe };
    },
    run: async (h) => { await h.pipe(SAMPLE_TEXTS); },
    dispose: async (h) => { await h.pipe.dispose(); h.pipe = null; },
  };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.impl === 'onnxruntime-node') tokenIds(a.model, ['hello', '[CLS]', '[SEP]']);  // fail early
  const impl = await makeImpl(a);
  const settle = async (ms) => { gc(); await sleep(ms); gc(); };
  const timedLoad = async (dir) => {
    const t = performance.now();
    const h = await impl.load(dir);
    return [h, performance.now() - t];
  };

  await settle(10);
  const rss = { before_load: mib() };
  let [h, ms] = await timedLoad(a.model);
  const loads = [ms];
  rss.after_load = mib();
  await impl.run(h);
  rss.after_run = mib();
  await impl.dispose(h);
  h = null;
  await settle(a.waitMs);
  rss.after_dispose = mib();

  let second_load_ms;
  if (a.then) {
    [h, second_load_ms] = await timedLoad(a.then);
    rss.second_after_load = mib();
    await impl.run(h);
    rss.second_after_run = mib();
    await impl.dispose(h);
    h = null;
    await settle(a.waitMs);
    rss.second_after_dispose = mib();
  }

  const cycle_rss_mib = [];
  for (let i = 0; i < a.cycles; ++i) {
    [h, ms] = await timedLoad(a.model);
    loads.push(ms);
    await impl.run(h);
    await impl.dispose(h);
    h = null;
    await settle(a.cycleWaitMs);
    cycle_rss_mib.push(mib());
  }

  const r1 = (x) => +x.toFixed(1);
  const out = {
    impl: a.impl,
    task: a.task,
    model: a.model,
    then: a.then ?? undefined,
    threads: a.threads,
    cycles: a.cycles,
    load_ms: r1(median(loads)),
    load_ms_first: r1(loads[0]),
    second_load_ms: second_load_ms === undefined ? undefined : r1(second_load_ms),
    rss_mib: rss,
    cycle_rss_mib,
    cycle_growth_mib: cycle_rss_mib.length ? r1(cycle_rss_mib[cycle_rss_mib.length - 1] - cycle_rss_mib[0]) : null,
    input: a.impl === 'onnxruntime-node' ? `int64 [${a.batch}, ${a.seq}]` : `${SAMPLE_TEXTS.length} sentences`,
    wait_ms: a.waitMs,
    cycle_wait_ms: a.cycleWaitMs,
    impl_version: impl.version,
    gc_exposed: !!global.gc,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error(`memory_transformersjs: ${e?.stack ?? e}`);
  process.exit(1);
});
