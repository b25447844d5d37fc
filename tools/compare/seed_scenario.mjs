// The articles' scenario in Transformers.js (../shared/seeds/worker-memory.txt, docs/seed-scenario.md):
// inside a node worker_threads Worker, pipeline('translation', DIR) transliterates a batch, is disposed,
// then pipeline('text-classification', DIR2) classifies and is disposed, then the Worker is terminated.
// The main thread reads /proc/self/status (the Worker shares the process) at every phase and prints ONE
// JSON object: {"phases": [{"phase", "rss", "rss_anon", "rss_file"} (bytes)], "outputs": {...}}.
//
//   node --expose-gc tools/compare/seed_scenario.mjs TRANSLIT_DIR CLASSIFIER_DIR [WAIT_MS=1000]
//
// A warm-up (load, call, dispose) comes first. After each dispose the Worker runs the garbage collector, waits WAIT_MS and collects again, so what
// stays is what Transformers.js and onnxruntime-node keep, not garbage not yet collected. Both pipelines
// are fp32 with 2 intra-op threads, as transformers-cpp's defaults on this machine.
import fs from 'node:fs';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The words and sentences `transformers-cpp mem` uses (src/cli/mem_stages.cpp, sample_inputs).
const WORDS = ['Москва', 'объявление', 'подъезд', 'ёлка', 'Щукино', 'Евгений', 'детство', 'Хабаровск'];
const TEXTS = [
  'The quick brown fox jumps over the lazy dog.',
  'Memory that is given back to the operating system can be used by every other program.',
  'ok',
  'A somewhat longer sentence, so that the batch is padded and the working memory is real.',
];

function status() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]) * 1024;
  return { rss: kb('VmRSS'), rss_anon: kb('RssAnon'), rss_file: kb('RssFile') };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function collect(waitMs) {
  if (global.gc) global.gc();
  await sleep(waitMs);
  if (global.gc) global.gc();
}

if (isMainThread) {
  const [translit, classifier, waitArg] = process.argv.slice(2);
  if (!translit || !classifier) {
    console.error('usage: node --expose-gc seed_scenario.mjs TRANSLIT_DIR CLASSIFIER_DIR [WAIT_MS]');
    process.exit(2);
  }
  const waitMs = Number(waitArg ?? 1000);
  const phases = [];
  const mark = (phase) => phases.push({ phase, ...status() });
  await collect(10);
  mark('before worker');
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { translit: path.resolve(translit), classifier: path.resolve(classifier), waitMs },  // inherits --expose-gc
  });
  const outputs = await new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.phase) {
        mark(m.phase);
        worker.postMessage('next');  // the Worker waits for the measurement before its next step
      } else if (m.done) {
        resolve(m.outputs);
      }
    });
    worker.on('error', reject);
  });
  await worker.terminate();
  await collect(waitMs);
  mark('after terminate');
  process.stdout.write(JSON.stringify({ implementation: 'transformers.js', phases, outputs }) + '\n');
} else {
  const { translit, classifier, waitMs } = workerData;
  const next = () => new Promise((r) => parentPort.once('message', r));
  const phase = async (name) => { parentPort.postMessage({ phase: name }); await next(); };
  const tjsDir = path.join(repo, 'tools/node/node_modules/@huggingface/transformers');
  const { env, pipeline } = await import(pathToFileURL(path.join(tjsDir, 'dist/transformers.node.mjs')).href);
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  env.useFSCache = false;
  const session = { intraOpNumThreads: 2, interOpNumThreads: 1 };
  await phase('worker started');
  // The warm-up: one load, call and dispose first, as transformers-cpp mem --warm-up does, so that the
  // phases after it show what a pipeline takes and gives back beyond the runtime's one-time start.
  let warm = await pipeline('translation', translit, { dtype: 'fp32', session_options: session });
  await warm(WORDS);
  await warm.dispose();
  warm = null;
  await collect(waitMs);
  await phase('warmed up');
  let t = await pipeline('translation', translit, { dtype: 'fp32', session_options: session });
  await phase('pipeline loaded');
  const latin = await t(WORDS);
  await phase('after first run');
  await t.dispose();
  t = null;
  await collect(waitMs);
  await phase('after dispose');
  let c = await pipeline('text-classification', classifier, { dtype: 'fp32', session_options: session });
  await phase('second loaded');
  const labels = await c(TEXTS);
  await phase('second run');
  await c.dispose();
  c = null;
  await collect(waitMs);
  await phase('second disposed');
  parentPort.postMessage({ done: true, outputs: { translation: latin, classification: labels } });
}
