// Golden outputs of Transformers.js 4.3.1 tokenizers, for the C++ tokenizer parity tests.
//
// Regenerate (one command, from the repository root):
//   node tools/golden/tokenizer_goldens.mjs
// (it resolves @huggingface/transformers from tools/node/node_modules; run `npm ci` there first).
//
// Reads   tests/fixtures/tokenizers/corpus.json
// Writes  tests/fixtures/tokenizers/<variant>/ (tokenizer fixtures derived from bert-uncased-5k;
//         the BPE fixtures are built by tools/fixtures/fetch_bpe_tokenizers.sh, run that first;
//         use-lite is copied from models/use-lite/ written by tools/use_lite/convert.py)
//         tests/fixtures/tokenizers/golden/<fixture>.json
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(path.join(root, 'tools', 'node', 'package.json'));
const { AutoTokenizer, env } = await import(require.resolve('@huggingface/transformers'));

const tjsVersion = JSON.parse(fs.readFileSync(path.join(root, 'tools', 'node', 'node_modules', '@huggingface', 'transformers', 'package.json'), 'utf8')).version;
const fixturesDir = path.join(root, 'tests', 'fixtures', 'tokenizers');
const goldenDir = path.join(fixturesDir, 'golden');

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useFSCache = false;
env.useBrowserCache = false;
env.localModelPath = fixturesDir + path.sep;

const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const writeJson = (p, v) => fs.writeFileSync(p, JSON.stringify(v, null, 2) + '\n');

// ---------------------------------------------------------------------------------------------
// Derived fixtures: small variations of bert-uncased-5k that exercise the other code paths.
function deriveFixtures() {
  const base = readJson(path.join(fixturesDir, 'bert-uncased-5k', 'tokenizer.json'));
  const baseConfig = readJson(path.join(fixturesDir, 'bert-uncased-5k', 'tokenizer_config.json'));
  const clone = (x) => JSON.parse(JSON.stringify(x));
  const write = (name, tok, cfg) => {
    fs.mkdirSync(path.join(fixturesDir, name), { recursive: true });
    writeJson(path.join(fixturesDir, name, 'tokenizer.json'), tok);
    writeJson(path.join(fixturesDir, name, 'tokenizer_config.json'), cfg);
  };
  const addVocab = (tok, words) => {
    let next = Math.max(...Object.values(tok.model.vocab)) + 1;
    for (const w of words) if (!(w in tok.model.vocab)) tok.model.vocab[w] = next++;
  };

  // Cased: no lowercasing, accents kept; TemplateProcessing; no decoder cleanup; max length 64.
  {
    const tok = clone(base);
    tok.normalizer = { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: false };
    tok.post_processor = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
             { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [101], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [102], tokens: ['[SEP]'] } },
    };
    tok.decoder = { type: 'WordPiece', prefix: '##', cleanup: false };
    addVocab(tok, ['Hello', 'World', 'The', 'This', 'Café', 'caf', '##é', 'na', '##ï', 'São', 'Paulo', 'Zürich', 'BERT', 'I', 'He', 'Don',
                   'France', 'Paris', '##É', 'É', 'Ο', '##Δ', '##Ο', '##Σ', 'İ', '##stanbul', 'Visit', 'Price', 'Wait', 'Family']);
    write('bert-cased-5k', tok, { ...baseConfig, do_lower_case: false, model_max_length: 64, clean_up_tokenization_spaces: false });
  }

  // Added tokens: non-special and special ones, lstrip/rstrip, normalized; padding on the left;
  // model_max_length "no limit" (the int(1e30) Hugging Face writes); pad_token as an AddedToken.
  {
    const tok = clone(base);
    const vocabSize = Object.keys(tok.model.vocab).length;
    const extra = [
      { content: '<special1>', special: true, lstrip: true, rstrip: true, normalized: false },
      { content: 'Hello World', special: false, lstrip: false, rstrip: false, normalized: true },
      { content: '[NEW]', special: false, lstrip: true, rstrip: true, normalized: false },
      { content: 'naïve-token', special: false, lstrip: false, rstrip: false, normalized: false },
      { content: '<extra>', special: false, lstrip: false, rstrip: false, normalized: false },
    ];
    extra.forEach((t, i) => tok.added_tokens.push({ id: vocabSize + i, content: t.content, single_word: false, lstrip: t.lstrip,
                                                    rstrip: t.rstrip, normalized: t.normalized, special: t.special }));
    write('bert-added-tokens', tok, {
      ...baseConfig,
      model_max_length: 1000000000000000019884624838656,
      padding_side: 'left',
      pad_token: { __type: 'AddedToken', content: '[PAD]', lstrip: false, normalized: false, rstrip: false, single_word: false },
      additional_special_tokens: ['<extra>'],
    });
  }

  // Raw: no clean_text / chinese handling, strip_accents without lowercase, no post-processor;
  // no model_max_length and no pad_token (eos_token is used for padding).
  {
    const tok = clone(base);
    tok.normalizer = { type: 'BertNormalizer', clean_text: false, handle_chinese_chars: false, strip_accents: true, lowercase: false };
    tok.post_processor = null;
    const cfg = clone(baseConfig);
    delete cfg.model_max_length;
    delete cfg.pad_token;
    cfg.eos_token = '[SEP]';
    write('bert-raw-5k', tok, cfg);
  }
}

// ---------------------------------------------------------------------------------------------
// unigram-t5: a small T5/XLM-R-style SentencePiece Unigram tokenizer written from a handful of
// pieces: NFKC + Replace(Regex " {2,}" -> " "), Metaspace (prepend_scheme always), T5's
// "$A </s>" template, Metaspace decoder. "▁he"+"llo" and "▁hel"+"lo" tie on purpose.
function writeUnigramFixture() {
  const vocab = [['<pad>', 0], ['</s>', 0], ['<unk>', 0], ['\u2581', -2]];
  const words = [['\u2581the', -3], ['\u2581a', -3.5], ['\u2581is', -3.8], ['\u2581of', -3.9], ['\u2581and', -4],
    ['\u2581to', -4.1], ['\u2581in', -4.2], ['ing', -4.5], ['ed', -4.6], ['er', -4.7], ['\u2581he', -3], ['llo', -3],
    ['\u2581hel', -3], ['lo', -3], ['\u2581world', -5], ['\u2581un', -5.5], ['known', -5.5], ['\u2581unknown', -11],
    ['s', -6], ['\u2581s', -6], ['.', -4], [',', -4.2], ['!', -5], ['?', -5], ["'", -5.5], ['-', -6], ['\u2581(', -6],
    [')', -6], ['\u00e9', -7], ['\u00e8', -7.5], ['\u4e2d', -7], ['\u6587', -7], ['\u2581\u4e2d\u6587', -9],
    ['\u0627', -8], ['\u0644', -8], ['\u2581\u0627\u0644', -9], ['ab', -6.5], ['abc', -6.5], ['bc', -6], ['x', -12]];
  vocab.push(...words);
  for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789') if (!vocab.some(([p]) => p === c)) vocab.push([c, -8 - c.charCodeAt(0) / 1000]);
  vocab.push(['\u2581the', -2.5]);  // a duplicate piece: the later id wins, as in Transformers.js
  const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tok = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [special(0, '<pad>'), special(1, '</s>'), special(2, '<unk>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } },
             { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
  const cfg = { tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: 64, eos_token: '</s>', unk_token: '<unk>',
                pad_token: '<pad>', clean_up_tokenization_spaces: true };
  fs.mkdirSync(path.join(fixturesDir, 'unigram-t5'), { recursive: true });
  writeJson(path.join(fixturesDir, 'unigram-t5', 'tokenizer.json'), tok);
  writeJson(path.join(fixturesDir, 'unigram-t5', 'tokenizer_config.json'), cfg);

  // unigram-first: the same model with a Precompiled normalizer, Metaspace prepend_scheme "first", added tokens that cut
  // the text into sections, no post-processor, and a Llama-style decoder Sequence.
  const first = JSON.parse(JSON.stringify(tok));
  first.added_tokens.push({ id: vocab.length, content: '[SEP]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  first.added_tokens.push({ id: vocab.length + 1, content: 'hello', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
  first.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false };
  first.post_processor = null;
  // Transformers.js ignores the charsmap (any base64 string will do).
  first.normalizer = { type: 'Sequence', normalizers: [{ type: 'Precompiled', precompiled_charsmap: 'AAAAAA==' },
                                                        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] };
  first.decoder = { type: 'Sequence', decoders: [
    { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' },
    { type: 'Strip', content: ' ', start: 1, stop: 0 }] };
  // unigram-seq: unigram-t5 behind T5's own pre-tokenizer, Sequence [WhitespaceSplit, Metaspace].
  const seq = JSON.parse(JSON.stringify(tok));
  seq.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
    { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true }] };
  fs.mkdirSync(path.join(fixturesDir, 'unigram-seq'), { recursive: true });
  writeJson(path.join(fixturesDir, 'unigram-seq', 'tokenizer.json'), seq);
  writeJson(path.join(fixturesDir, 'unigram-seq', 'tokenizer_config.json'), cfg);
  // unigram-norms: unigram-seq with the other normalizers in a Sequence.
  const norms = JSON.parse(JSON.stringify(seq));
  norms.normalizer = { type: 'Sequence', normalizers: [{ type: 'Strip', strip_left: true, strip_right: true }, { type: 'NFKD' },
    { type: 'Lowercase' }, { type: 'StripAccents' }, { type: 'NFD' }, { type: 'NFC' }] };
  fs.mkdirSync(path.join(fixturesDir, 'unigram-norms'), { recursive: true });
  writeJson(path.join(fixturesDir, 'unigram-norms', 'tokenizer.json'), norms);
  writeJson(path.join(fixturesDir, 'unigram-norms', 'tokenizer_config.json'), cfg);
  fs.mkdirSync(path.join(fixturesDir, 'unigram-first'), { recursive: true });
  writeJson(path.join(fixturesDir, 'unigram-first', 'tokenizer.json'), first);
  writeJson(path.join(fixturesDir, 'unigram-first', 'tokenizer_config.json'), { ...cfg, clean_up_tokenization_spaces: false });
}

// ---------------------------------------------------------------------------------------------
// Fixtures for the remaining components: WordLevel + Whitespace, Punctuation / Digits / BPEDecoder,
// CTC, and a Marian-style Unigram (MarianTokenizer class, whose trimming and >>lang<< handling
// Transformers.js 4.3.1 never calls: its _encode_plus goes straight to the tokenizer).
function writeComponentFixtures(corpus) {
  const write = (name, tok, cfg) => {
    fs.mkdirSync(path.join(fixturesDir, name), { recursive: true });
    writeJson(path.join(fixturesDir, name, 'tokenizer.json'), tok);
    writeJson(path.join(fixturesDir, name, 'tokenizer_config.json'), cfg);
  };
  const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const template = (cls, sep) => ({
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
    pair: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } },
           { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: sep, type_id: 1 } }],
    special_tokens: { [cls]: { id: cls, ids: [2], tokens: [cls] }, [sep]: { id: sep, ids: [3], tokens: [sep] } },
  });
  // The 400 most frequent lowercased Whitespace words of the corpus (ties by first appearance).
  const counts = new Map();
  for (const text of Object.values(corpus.texts)) {
    for (const w of (text.slice(0, 5000).toLowerCase().match(/\w+|[^\w\s]+/g) || [])) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 400).map(([w]) => w);
  const vocab = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3 };
  for (const w of words) if (!(w in vocab)) vocab[w] = Object.keys(vocab).length;
  write('wordlevel-ws', {
    version: '1.0', truncation: null, padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((t, i) => special(i, t)),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: template('[CLS]', '[SEP]'),
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  }, { tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '[UNK]', pad_token: '[PAD]', model_max_length: 128 });

  // bpe-punct-digits: bpe-fallback's character BPE (end_of_word_suffix </w>) behind WhitespaceSplit,
  // Punctuation and Digits (individual), with the BPEDecoder.
  const fb = readJson(path.join(fixturesDir, 'bpe-fallback', 'tokenizer.json'));
  fb.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'Isolated' },
                                                         { type: 'Digits', individual_digits: true }] };
  fb.decoder = { type: 'BPEDecoder', suffix: '</w>' };
  write('bpe-punct-digits', fb, readJson(path.join(fixturesDir, 'bpe-fallback', 'tokenizer_config.json')));

  // ctc-chars: a wav2vec2-style character vocabulary ("|" between words), Digits (runs) then one
  // piece per letter, and the CTC decoder.
  const chars = { '<pad>': 0, '<s>': 1, '</s>': 2, '<unk>': 3, '|': 4 };
  for (const c of "etaoinshrdlcumwfgypbvk'xjqz0123456789") chars[c] = Object.keys(chars).length;
  chars['42'] = Object.keys(chars).length;
  write('ctc-chars', {
    version: '1.0', truncation: null, padding: null,
    added_tokens: ['<pad>', '<s>', '</s>', '<unk>'].map((t, i) => special(i, t)),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, { type: 'Replace', pattern: { String: ' ' }, content: '|' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: false },
                                                       { type: 'Split', pattern: { Regex: "[a-z'|]" }, behavior: 'Isolated', invert: false }] },
    post_processor: null,
    decoder: { type: 'CTC', pad_token: '<pad>', word_delimiter_token: '|', cleanup: true },
    model: { type: 'WordLevel', vocab: chars, unk_token: '<unk>' },
  }, { tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '<unk>', pad_token: '<pad>', bos_token: '<s>', eos_token: '</s>',
       model_max_length: 256, clean_up_tokenization_spaces: false });

  // marian-unigram: unigram-t5's pieces laid out as a converted Marian (opus-mt) tokenizer: </s> 0,
  // <unk> 1, <pad> last, a language code piece; Precompiled normalizer; the older Metaspace fields
  // (add_prefix_space, str_rep); "$A </s>" / "$A $B </s>"; the MarianTokenizer class.
  const t5 = readJson(path.join(fixturesDir, 'unigram-t5', 'tokenizer.json'));
  const pieces = t5.model.vocab.filter(([p]) => !['<pad>', '</s>', '<unk>'].includes(p));
  const mvocab = [['</s>', 0], ['<unk>', 0], ['>>fra<<', 0], ['>>deu<<', 0], ...pieces, ['<pad>', 0]];
  const eos = { SpecialToken: { id: '</s>', type_id: 0 } };
  write('marian-unigram', {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [special(0, '</s>'), special(1, '<unk>'), special(mvocab.length - 1, '<pad>')],
    normalizer: { type: 'Precompiled', precompiled_charsmap: 'AAAAAA==' },
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', str_rep: '\u2581', add_prefix_space: true },
    post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, eos],
                      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, eos],
                      special_tokens: { '</s>': { id: '</s>', ids: [0], tokens: ['</s>'] } } },
    decoder: { type: 'Metaspace', replacement: '\u2581', str_rep: '\u2581', add_prefix_space: true },
    model: { type: 'Unigram', unk_id: 1, vocab: mvocab },
  }, { tokenizer_class: 'MarianTokenizer', eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>', model_max_length: 512,
       source_lang: 'en', target_lang: 'fr' });
}

// Decode-only cases (token strings, looked up in the fixture's vocabulary): what CTC collapses.
const DECODES = {
  'ctc-chars': [['h', 'h', 'e', '<pad>', 'l', 'l', '<pad>', 'l', 'o', '|', '|', 'w', 'o', 'r', 'l', 'd', '<pad>'],
                ['<s>', '|', 'a', '|', '<unk>', '<unk>', '|', '</s>'], ['<pad>', '<pad>'], ['i', "'", 'm', '|', '<unk>', '|', 'o', 'k']],
};

// ---------------------------------------------------------------------------------------------
// The byte-level BPE fixtures come from tools/fixtures/fetch_bpe_tokenizers.sh (registry packages).
const FIXTURES = ['bert-base-uncased', 'bert-uncased-5k', 'bert-cased-5k', 'bert-added-tokens', 'bert-raw-5k',
                  'gpt2', 'qwen3-reduced', 'llama3-reduced', 'roberta-bpe', 'bpe-split', 'bpe-fallback', 'bpe-unk',
                  // use-lite: copied from models/use-lite/ (tools/use_lite/convert.py, docs/use-lite.md)
                  'use-lite', 'unigram-t5', 'unigram-first', 'unigram-seq', 'unigram-norms',
                  'wordlevel-ws', 'bpe-punct-digits', 'ctc-chars', 'marian-unigram'];
const corpus = readJson(path.join(fixturesDir, 'corpus.json'));

const tryOr = (f) => {
  try {
    return f();
  } catch (e) {
    return { error: String(e.message ?? e) };
  }
};
const decodeBoth = (tokenizer, ids) => ({
  decode: ids.length ? tokenizer.decode(ids) : null,
  decode_skip: ids.length ? tokenizer.decode(ids, { skip_special_tokens: true }) : null,
});

function encodeOne(tokenizer, text, textPair, options) {
  const out = tokenizer(text, { ...options, ...(textPair !== null ? { text_pair: textPair } : {}), return_tensor: false });
  const ids = out.input_ids;
  const inner = tokenizer._tokenizer.encode(text, {
    text_pair: textPair, add_special_tokens: options.add_special_tokens ?? true, return_token_type_ids: true,
  });
  const tokens = inner.tokens;
  return {
    ids,
    tokens: tokens.length === ids.length ? tokens : null,  // tokens before padding/truncation only
    attention_mask: out.attention_mask,
    token_type_ids: out.token_type_ids ?? null,
    // Tokenizer classes other than BERT-like ones do not return token_type_ids from tokenizer();
    // the C++ tokenizer always returns the post-processor's, recorded here for pairs.
    ...(out.token_type_ids === undefined && textPair !== null && inner.token_type_ids && inner.token_type_ids.length === ids.length
      ? { post_processor_type_ids: inner.token_type_ids } : {}),
    ...decodeBoth(tokenizer, ids),
  };
}

// Cases on the 10,000-word text that a tokenizer without model_max_length would not truncate
// are left out (they would add megabytes and test nothing new).
const usesLongUntruncated = (tokenizer, textIds, options) =>
  !(tokenizer.model_max_length < 65536) && options.max_length === undefined &&
  textIds.some((t) => corpus.texts[t].length > 10000);

// Very long results keep ids and decodes only (the test checks nothing else for them).
const compact = (r) => {
  if (r.ids && r.ids.length > 2000) {
    delete r.tokens;
    delete r.attention_mask;
    delete r.token_type_ids;
    r.compact = true;
  }
  return r;
};

async function goldens(name) {
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const cases = [];
  for (const [id, text] of Object.entries(corpus.texts)) {
    const big = text.length > 10000;
    for (const add_special_tokens of [true, false]) {
      if (big && (!add_special_tokens || name !== 'bert-base-uncased')) continue;
      cases.push(compact({ kind: 'single', text: id, options: { add_special_tokens }, ...encodeOne(tokenizer, text, null, { add_special_tokens }) }));
    }
  }
  for (const [a, b] of corpus.pairs) {
    cases.push({ kind: 'pair', text: a, text_pair: b, options: {}, ...encodeOne(tokenizer, corpus.texts[a], corpus.texts[b], {}) });
  }
  for (const { text, options } of corpus.singles_with_options) {
    if (usesLongUntruncated(tokenizer, [text], options)) continue;
    const r = tryOr(() => encodeOne(tokenizer, corpus.texts[text], null, options));
    if (r.error === undefined) r.tokens = null;
    cases.push({ kind: 'single', text, options, ...r });
  }
  for (const { texts, options } of corpus.batches) {
    if (usesLongUntruncated(tokenizer, texts, options)) continue;
    const r = tryOr(() => {
      const out = tokenizer(texts.map((t) => corpus.texts[t]), { ...options, return_tensor: false });
      return { input_ids: out.input_ids, attention_mask: out.attention_mask, token_type_ids: out.token_type_ids ?? null };
    });
    cases.push({ kind: 'batch', texts, options, ...r });
  }
  for (const tokens of DECODES[name] ?? []) {
    const ids = tokens.map((t) => tokenizer._tokenizer.token_to_id(t));
    cases.push({ kind: 'decode', tokens, ids, ...decodeBoth(tokenizer, ids) });
  }
  const meta = {
    fixture: name,
    generator: 'tools/golden/tokenizer_goldens.mjs',
    transformers_js: tjsVersion,
    model_max_length: Number.isFinite(tokenizer.model_max_length) ? tokenizer.model_max_length : null,
    pad_token_id: tokenizer.pad_token_id ?? null,
    padding_side: tokenizer.padding_side,
  };
  // One case per line keeps the files diffable.
  const body = cases.map((c) => '  ' + JSON.stringify(c)).join(',\n');
  fs.writeFileSync(path.join(goldenDir, `${name}.json`), `{"meta": ${JSON.stringify(meta)},\n"cases": [\n${body}\n]}\n`);
  console.log(`${name}: ${cases.length} cases`);
}

deriveFixtures();
writeUnigramFixture();
writeComponentFixtures(corpus);
fs.mkdirSync(goldenDir, { recursive: true });
for (const name of FIXTURES) await goldens(name);
