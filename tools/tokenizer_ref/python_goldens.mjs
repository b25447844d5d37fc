// Golden outputs with Python `tokenizers` semantics, for what Transformers.js 4.3.1 does not
// implement: the CharDelimiterSplit and UnicodeScripts pre-tokenizers, and the truncation
// strategies longest_first / only_first / only_second with stride, direction and overflowing parts.
// The reference is Hugging Face's Rust tokenizers library itself, 0.22.2 (the library Python's
// `tokenizers` wraps), through the Node binding build `@anush008/tokenizers@0.6.0`. Not the
// official `tokenizers@0.23.2` binding: since 0.23.1 an early exit stops tokenizing at max_length
// and so drops the overflowing parts (huggingface/tokenizers#2091, open).
//
// Regenerate (from the repository root; the Transformers.js goldens first):
//   (cd tools/tokenizer_ref && npm ci) && node tools/tokenizer_ref/python_goldens.mjs
//
// Reads   tests/fixtures/tokenizers/corpus.json and fixtures
// Writes  tests/fixtures/tokenizers/scripts-delim/ (WordLevel behind CharDelimiterSplit + UnicodeScripts)
//         tests/fixtures/tokenizers/golden/python/<fixture>.json
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(path.join(here, 'package.json'));
const { Tokenizer } = require('@anush008/tokenizers');
const refVersion = JSON.parse(fs.readFileSync(path.join(here, 'node_modules', '@anush008', 'tokenizers', 'package.json'), 'utf8')).version;

const fixturesDir = path.join(root, 'tests', 'fixtures', 'tokenizers');
const outDir = path.join(fixturesDir, 'golden', 'python');
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const writeJson = (p, v) => fs.writeFileSync(p, JSON.stringify(v, null, 2) + '\n');
const corpus = readJson(path.join(fixturesDir, 'corpus.json'));
const tjsGolden = (name) => readJson(path.join(fixturesDir, 'golden', `${name}.json`));

// The binding reports offsets in code points; the C++ tokenizer in UTF-8 bytes.
function byteOffsets(text, offsets) {
  const starts = [0];
  for (const ch of text) starts.push(starts[starts.length - 1] + Buffer.byteLength(ch));
  return offsets.map(([b, e]) => [starts[b], starts[e]]);
}

function record(enc, text, pair) {
  const seq = enc.getSequenceIds();
  const offs = enc.getOffsets();
  const a = byteOffsets(text, offs.filter((_, i) => seq[i] !== 1));
  const b = pair === null ? [] : byteOffsets(pair, offs.filter((_, i) => seq[i] === 1));
  let ia = 0, ib = 0;
  return {
    ids: enc.getIds(),
    type_ids: enc.getTypeIds(),
    offsets: seq.map((s) => (s === 1 ? b[ib++] : a[ia++])),
  };
}

async function encode(tok, text, pair, addSpecial) {
  const enc = await tok.encode(text, pair, { addSpecialTokens: addSpecial });
  return { ...record(enc, text, pair), overflowing: enc.getOverflowing().map((o) => record(o, text, pair).ids) };
}

// scripts-delim: a WordLevel over the 300 most frequent pieces the pre-tokenizer makes of the corpus.
function writeScriptsFixture() {
  const pre = { type: 'Sequence', pretokenizers: [{ type: 'CharDelimiterSplit', delimiter: '-' }, { type: 'UnicodeScripts' }] };
  const probe = Tokenizer.fromString(JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: pre,
    post_processor: null, decoder: null, model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
  })).getPreTokenizer();
  const counts = new Map();
  for (const text of Object.values(corpus.texts))
    for (const [piece] of probe.preTokenizeString(text.slice(0, 5000))) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  const vocab = { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, '[PAD]': 3 };
  for (const [w] of [...counts.entries()].sort((x, y) => y[1] - x[1]).slice(0, 300)) if (!(w in vocab)) vocab[w] = Object.keys(vocab).length;
  const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tok = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: ['[UNK]', '[CLS]', '[SEP]', '[PAD]'].map((t, i) => special(i, t)),
    normalizer: null,
    pre_tokenizer: pre,
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 2], cls: ['[CLS]', 1] },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
  fs.mkdirSync(path.join(fixturesDir, 'scripts-delim'), { recursive: true });
  writeJson(path.join(fixturesDir, 'scripts-delim', 'tokenizer.json'), tok);
  writeJson(path.join(fixturesDir, 'scripts-delim', 'tokenizer_config.json'),
            { tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '[UNK]', pad_token: '[PAD]', clean_up_tokenization_spaces: false });
}

async function componentGoldens(name) {
  const tok = Tokenizer.fromFile(path.join(fixturesDir, name, 'tokenizer.json'));
  const cases = [];
  for (const [id, text] of Object.entries(corpus.texts)) {
    if (text.length > 10000) continue;
    for (const add of [true, false]) {
      const r = await encode(tok, text, null, add);
      cases.push({ kind: 'single', text: id, options: { add_special_tokens: add }, ...r,
                   decode: await tok.decode(r.ids, false), decode_skip: await tok.decode(r.ids, true) });
    }
  }
  // An empty text_pair is no pair in Transformers.js (and here); Python encodes an empty second text.
  for (const [a, b] of corpus.pairs.filter(([, b]) => corpus.texts[b] !== ''))
    cases.push({ kind: 'pair', text: a, text_pair: b, options: {}, ...(await encode(tok, corpus.texts[a], corpus.texts[b], true)) });
  return cases;
}

// Texts whose untruncated ids the Rust library and Transformers.js agree on (so that truncation
// is all that is compared).
const TRUNCATION_TEXTS = ['simple', 'numbers', 'url', 'contractions', 'greek'];
const TRUNCATION_PAIRS = [['simple', 'numbers'], ['url', 'simple'], ['contractions', 'greek'], ['numbers', 'url']];

// Whether the library would abort: a part cut to a length not above the stride (only to skip
// such cases; the outputs recorded are the library's own).
function panics(na, nb, budget, strategy, stride) {
  const total = na + (nb ?? 0);
  if (budget <= 0 || total <= budget) return false;
  const cuts = [];
  if (strategy === 'longest_first') {
    if (nb === null) cuts.push([na, budget]);
    else {
      let [n1, n2] = na <= nb ? [na, nb] : [nb, na];
      n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
      if (n1 + n2 > budget) { n1 = Math.floor(budget / 2); n2 = n1 + (budget % 2); }
      if (na > nb) [n1, n2] = [n2, n1];
      cuts.push([na, n1], [nb, n2]);
    }
  } else {
    const n = strategy === 'only_first' ? na : nb;
    if (n === null || n <= total - budget) return false;  // an error, not an abort
    cuts.push([n, n - (total - budget)]);
  }
  return cuts.some(([len, keep]) => len > keep && stride >= keep);
}

async function truncationGoldens(name) {
  const tok = Tokenizer.fromFile(path.join(fixturesDir, name, 'tokenizer.json'));
  const agreed = new Set();
  for (const c of tjsGolden(name).cases) {
    if (c.kind !== 'single' || !c.options.add_special_tokens || Object.keys(c.options).length !== 1) continue;
    if (!TRUNCATION_TEXTS.includes(c.text)) continue;
    const r = await tok.encode(corpus.texts[c.text], null, { addSpecialTokens: true });
    if (JSON.stringify(r.getIds()) === JSON.stringify(c.ids)) agreed.add(c.text);
    else console.log(`${name}: ${c.text} differs from Transformers.js untruncated, left out`);
  }
  const lengths = {};
  for (const t of agreed) lengths[t] = (await tok.encode(corpus.texts[t], null, { addSpecialTokens: false })).getLength();
  const special = [(await tok.encode('', null)).getLength(), (await tok.encode('', '')).getLength()];
  const cases = [];
  const strategies = { LongestFirst: 'longest_first', OnlyFirst: 'only_first', OnlySecond: 'only_second' };
  const inputs = [...[...agreed].map((t) => [t, null]), ...TRUNCATION_PAIRS.filter(([a, b]) => agreed.has(a) && agreed.has(b))];
  for (const [a, b] of inputs) {
    for (const [strategy, strategyName] of Object.entries(strategies)) {
      for (const maxLength of [8, 13]) {
        for (const stride of [0, 2]) {
          for (const direction of ['right', 'left']) {
            for (const add of [true, false]) {
              const options = { truncation: true, truncation_strategy: strategyName, max_length: maxLength, stride,
                                truncation_side: direction.toLowerCase(), add_special_tokens: add };
              if (b === null && strategyName === 'only_second' && (maxLength !== 8 || stride !== 0 || direction !== 'right')) continue;
              const base = { kind: b === null ? 'single' : 'pair', text: a, ...(b === null ? {} : { text_pair: b }), options };
              tok.setTruncation(maxLength, { strategy, stride, direction });
              // The library aborts the process (a Rust panic) when the stride is not below the
              // length kept; those cases are left out here and tested as errors in C++.
              if (stride > 0 && panics(lengths[a], b === null ? null : lengths[b], maxLength - (add ? special[b === null ? 0 : 1] : 0),
                                       strategyName, stride)) continue;
              try {
                const r = await encode(tok, corpus.texts[a], b === null ? null : corpus.texts[b], add);
                cases.push({ ...base, ids: r.ids, type_ids: r.type_ids, offsets: r.offsets, overflowing: r.overflowing });
              } catch (e) {
                cases.push({ ...base, error: String(e.message ?? e) });
              } finally {
                tok.disableTruncation();
              }
            }
          }
        }
      }
    }
  }
  return cases;
}

function write(name, cases) {
  const meta = { fixture: name, generator: 'tools/tokenizer_ref/python_goldens.mjs', reference: `@anush008/tokenizers@${refVersion} (tokenizers 0.22.2)` };
  const body = cases.map((c) => '  ' + JSON.stringify(c)).join(',\n');
  fs.writeFileSync(path.join(outDir, `${name}.json`), `{"meta": ${JSON.stringify(meta)},\n"cases": [\n${body}\n]}\n`);
  console.log(`${name}: ${cases.length} cases`);
}

fs.mkdirSync(outDir, { recursive: true });
writeScriptsFixture();
write('scripts-delim', await componentGoldens('scripts-delim'));
for (const name of ['bert-uncased-5k', 'roberta-bpe', 'unigram-t5']) write(`truncation-${name}`, await truncationGoldens(name));
