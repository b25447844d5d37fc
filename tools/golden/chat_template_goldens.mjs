// Golden outputs of Transformers.js 4.3.1's tokenizer.apply_chat_template (tokenize: false), for the C++
// chat template engine's parity test (tests/tokenizers/chat_template_test.cpp).
//
// Regenerate (from tools/node, after `npm ci` there):
//   node ../golden/chat_template_goldens.mjs
//
// Reads   tests/fixtures/chat_templates/*.jinja (real templates: tools/golden/fetch_chat_templates.mjs)
// Writes  tests/fixtures/golden/chat_templates.json
//
// Every case goes through a real PreTrainedTokenizer's apply_chat_template, so the Jinja engine is the one
// Transformers.js bundles (@huggingface/jinja 0.5.10) and the variables are the ones it passes (messages,
// add_generation_prompt, tools, documents, the special tokens of tokenizer_config.json, extra options).
// Messages are first checked as the text-generation pipeline checks a chat (isChat). Three kinds of case:
//   template cases: a real template file x a conversation x options;
//   feature cases:  a small inline template exercising one language feature, its variables passed as
//                   extra options (with no messages);
//   config cases:   chat_template as a list of named templates, special tokens as AddedToken objects, ...
// The clock is frozen (strftime_now) and a case whose output shows the frozen date is dropped, so the
// goldens do not depend on the day they were made.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(path.join(root, 'tools', 'node', 'package.json'));

const RealDate = Date;
const FROZEN = RealDate.UTC(1987, 2, 14, 12, 0, 0);
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [FROZEN]));
  }
  static now() {
    return FROZEN;
  }
};
const FROZEN_MARKS = ['1987', 'Mar 14', '14 Mar'];

const { PreTrainedTokenizer } = await import(require.resolve('@huggingface/transformers'));
// The installed @huggingface/jinja (0.5.11) parses what the bundled 0.5.10 parses, plus \x and \u escapes:
// only used to tell a syntax error from a rendering error.
const { Template: ParseCheck } = await import(
  pathToFileURL(path.join(root, 'tools', 'node', 'node_modules', '@huggingface', 'jinja', 'dist', 'index.js')).href
);
const tjsVersion = JSON.parse(
  fs.readFileSync(path.join(root, 'tools', 'node', 'node_modules', '@huggingface', 'transformers', 'package.json'), 'utf8'),
).version;
const bundle = fs.readFileSync(require.resolve('@huggingface/transformers'), 'utf8');
const jinjaVersion = (bundle.match(/@huggingface\+jinja@([0-9.]+)/) ?? [])[1] ?? 'unknown';

const templatesDir = path.join(root, 'tests', 'fixtures', 'chat_templates');
const outFile = path.join(root, 'tests', 'fixtures', 'golden', 'chat_templates.json');

// apply_chat_template never tokenizes here (tokenize: false): a one-word vocabulary is enough.
const TOKENIZER_JSON = {
  version: '1.0',
  model: { type: 'WordLevel', vocab: { '<unk>': 0 }, unk_token: '<unk>' },
  added_tokens: [],
  normalizer: null,
  pre_tokenizer: null,
  post_processor: null,
  decoder: null,
};

// The text-generation pipeline's check of a chat.
const isChat = (x) =>
  Array.isArray(x) && x.every((m) => typeof m === 'object' && m !== null && !Array.isArray(m) && 'role' in m && 'content' in m);

const cases = [];
let dropped = 0;
// A case's name shows its options, with the shared lists by name.
const label = (options) => JSON.stringify(options, (k, v) => (v === TOOLS ? '$tools' : v === DOCUMENTS ? '$documents' : v));

// A failing case records the message and its phase: "input" (the messages, the config, choosing the
// template), "syntax" (the template does not parse) or "render".
function run(name, config, messages, options = {}, expect = undefined) {
  const c = { name, config, messages, options };
  if (expect) c.expect = expect;
  const failed = (e, phase) => {
    c.error = String(e.message);
    c.error_name = e.constructor.name;
    c.phase = phase;
  };
  let tokenizer = null;
  let parses = true;
  if (!isChat(messages)) {
    failed(new Error('Input must be a string, an array of strings, a Chat, or an array of Chats'), 'input');
  } else {
    try {
      tokenizer = new PreTrainedTokenizer(TOKENIZER_JSON, config);
      const source = tokenizer.get_chat_template({ chat_template: options.chat_template ?? null, tools: options.tools ?? null });
      try {
        new ParseCheck(source);
      } catch {
        parses = false;
      }
    } catch (e) {
      failed(e, 'input');
      tokenizer = null;
    }
  }
  if (tokenizer !== null) {
    try {
      const output = tokenizer.apply_chat_template(messages, { tokenize: false, ...options });
      if (FROZEN_MARKS.some((m) => output.includes(m))) {
        dropped++;
        return;
      }
      c.output = output;
    } catch (e) {
      failed(e, !parses || /^Unexpected escaped character/.test(e.message) ? 'syntax' : 'render');
    }
  }
  if (expect === 'syntax' && c.phase !== 'syntax') throw new Error(`${name}: expected a syntax error, got ${c.phase ?? 'output'}`);
  cases.push(c);
}

// ---------------------------------------------------------------------------------------------
// Conversations.
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'The city and country, e.g. Paris, France' },
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'search',
      description: 'Search the web',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string' }, max_results: { type: 'integer', default: 5 } },
        required: ['query'],
      },
    },
  },
];
const DOCUMENTS = [
  { title: 'Paris', text: 'Paris is the capital of France.' },
  { title: 'Oslo', text: 'Oslo is the capital of Norway. It has about 700,000 inhabitants.' },
];
const CHATS = {
  user_only: [{ role: 'user', content: 'Hello, how are you?' }],
  system_multi_turn: [
    { role: 'system', content: 'You are a friendly assistant who answers briefly.' },
    { role: 'user', content: 'Hello, how are you?' },
    { role: 'assistant', content: "I'm doing great. How can I help you today?" },
    { role: 'user', content: "I'd like to show off how chat templating works!" },
  ],
  ends_with_assistant: [
    { role: 'user', content: 'Name a colour.' },
    { role: 'assistant', content: 'Blue.' },
    { role: 'user', content: 'Another one.' },
    { role: 'assistant', content: 'Green.' },
  ],
  text_edges: [
    { role: 'system', content: '  Leading and trailing spaces  \n' },
    { role: 'user', content: 'Line one\nLine two\n\n\tTabbed — «ünïcödé» 🦙 你好 مرحبا\r\nCRLF line' },
    { role: 'assistant', content: 'ΟΔΥΣΣΕΥΣ said "hi" \\ {{ not a tag }} {% neither %}' },
    { role: 'user', content: '' },
  ],
  tools: [
    { role: 'system', content: 'You are a helpful assistant with tools.' },
    { role: 'user', content: "What's the weather like in Paris?" },
    {
      role: 'assistant',
      content: '',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_current_weather', arguments: { location: 'Paris, France', unit: 'celsius' } } },
      ],
    },
    { role: 'tool', name: 'get_current_weather', tool_call_id: 'call_1', content: '{"temperature": 22, "unit": "celsius"}' },
    { role: 'assistant', content: 'It is 22 °C in Paris.' },
    { role: 'user', content: 'And in Oslo?' },
  ],
  tool_call_string_arguments: [
    { role: 'user', content: 'Search for llamas.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ type: 'function', function: { name: 'search', arguments: '{"query": "llamas", "max_results": 3}' } }],
    },
    { role: 'tool', content: '["Llamas are camelids."]' },
  ],
  thinking: [
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: '<think>\nSimple arithmetic.\n</think>\n\n2+2 = 4.' },
    { role: 'user', content: 'And 3+3?' },
  ],
  reasoning_content: [
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: '2+2 = 4.', reasoning_content: 'Add the numbers.' },
    { role: 'user', content: 'And 3+3?' },
    { role: 'assistant', content: '<think>\nSix.\n</think>\n\n3+3 = 6.' },
  ],
  content_parts: [
    { role: 'user', content: [{ type: 'text', text: 'Describe this image.' }, { type: 'image' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'A llama in a field.' }] },
    { role: 'user', content: [{ type: 'text', text: 'What colour is it?' }] },
  ],
  user_user: [
    { role: 'user', content: 'First question.' },
    { role: 'user', content: 'Second question.' },
  ],
  empty: [],
};

// Special tokens as each family's tokenizer_config.json has them.
function tokensFor(name) {
  if (/^(llama3|llama4|dolphin-llama3|nemotron_70b|cogito_3b|rnj)/.test(name)) return { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' };
  if (/^(qwen|qwq|marco|sailor|smallthinker|opencoder|dbrx|hermes|dolphin-mixtral|nous)/.test(name)) return { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' };
  if (/^(gemma|shieldgemma)/.test(name)) return { bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>' };
  if (/^(phi3|phi4|llava-phi3|nuextract)/.test(name)) return { bos_token: '<s>', eos_token: '<|endoftext|>', unk_token: '<unk>' };
  if (/^(deepseek|r1-1776|deepcoder)/.test(name)) return { bos_token: '<｜begin▁of▁sentence｜>', eos_token: '<｜end▁of▁sentence｜>' };
  if (/^smollm2/.test(name)) return { bos_token: '<|im_start|>', eos_token: '<|im_end|>', pad_token: '<|im_end|>' };
  if (/^granite/.test(name)) return { bos_token: '<|end_of_text|>', eos_token: '<|end_of_text|>', pad_token: '<|end_of_text|>' };
  return { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' };
}

// ---------------------------------------------------------------------------------------------
// Template cases. The well-known families get every conversation with and without a generation prompt;
// every other template the conversations that tell templates apart.
const FULL = new Set([
  'llama3_8b', 'llama3.1_8b', 'llama3.2_3b', 'llama4_latest', 'qwen2.5_0.5b', 'qwen3_0.6b', 'qwen3-coder_30b',
  'mistral_7b-instruct-fp16', 'mistral-small_24b', 'mixtral_8x7b', 'phi3_3.8b', 'phi4-mini_3.8b', 'gemma2_2b', 'gemma3_1b',
  'smollm2_135m', 'tinyllama_1.1b', 'deepseek-r1_8b', 'hermes3_70b', 'granite3.3_2b', 'command-r7b_7b',
]);
const templateFiles = fs.readdirSync(templatesDir).filter((f) => f.endsWith('.jinja')).sort();
for (const file of templateFiles) {
  const name = file.replace(/\.jinja$/, '');
  const config = { chat_template_file: file, ...tokensFor(name) };
  const jsConfig = { ...config, chat_template: fs.readFileSync(path.join(templatesDir, file), 'utf8') };
  delete jsConfig.chat_template_file;
  // Templates that print today's date unless given date_string get a fixed one (the clock is not golden).
  const dated = /^(llama3\.2|llama4)/.test(name);
  const go = (chat, options) => {
    if (dated) options = { ...options, date_string: '26 Jul 2024' };
    const before = cases.length;
    run(`${name} / ${chat} ${label(options)}`, jsConfig, CHATS[chat], options);
    if (cases.length > before) cases[cases.length - 1].config = config;  // the C++ side reads the file
  };
  if (FULL.has(name)) {
    for (const chat of ['user_only', 'system_multi_turn', 'ends_with_assistant', 'text_edges', 'content_parts', 'user_user', 'empty']) {
      go(chat, { add_generation_prompt: false });
      go(chat, { add_generation_prompt: true });
    }
    go('tools', { add_generation_prompt: true, tools: TOOLS });
    go('tools', { add_generation_prompt: false });
    go('tool_call_string_arguments', { add_generation_prompt: true, tools: TOOLS });
    go('user_only', { add_generation_prompt: true, tools: [] });
    go('thinking', { add_generation_prompt: true });
    go('reasoning_content', { add_generation_prompt: false });
    go('user_only', { add_generation_prompt: true, documents: DOCUMENTS });
  } else {
    go('system_multi_turn', { add_generation_prompt: true });
    go('ends_with_assistant', { add_generation_prompt: false });
    go('text_edges', { add_generation_prompt: true });
    go('tools', { add_generation_prompt: true, tools: TOOLS });
    go('thinking', { add_generation_prompt: false });
    go('content_parts', { add_generation_prompt: true });
    go('user_user', { add_generation_prompt: true });
  }
}

// Options particular to one template.
{
  const t = (f) => ({ chat_template_file: f, ...tokensFor(f) });
  const extra = [
    ['qwen3_0.6b.jinja', 'thinking', { add_generation_prompt: true, enable_thinking: false }],
    ['qwen3_0.6b.jinja', 'thinking', { add_generation_prompt: true, enable_thinking: true }],
    ['qwen3_0.6b.jinja', 'tools', { add_generation_prompt: true, tools: TOOLS, enable_thinking: false }],
    ['llama3.1_8b.jinja', 'tools', { add_generation_prompt: true, tools: TOOLS, tools_in_user_message: false, date_string: '01 Jan 2025' }],
    ['llama3.1_8b.jinja', 'user_only', { add_generation_prompt: true, builtin_tools: ['brave_search', 'wolfram_alpha'] }],
    ['llama3.1_8b.jinja', 'user_only', { add_generation_prompt: true, custom_tools: TOOLS }],
    ['llama3.2_3b.jinja', 'system_multi_turn', { add_generation_prompt: true, date_string: '26 Jul 2024' }],
    ['llama3.2_3b.jinja', 'tools', { add_generation_prompt: true, tools: TOOLS, date_string: '26 Jul 2024' }],
    ['llama3_8b.jinja', 'system_multi_turn', { add_generation_prompt: true, bos_token: '<BOS override>' }],
    ['granite3.3_2b.jinja', 'system_multi_turn', { add_generation_prompt: true, documents: DOCUMENTS, controls: { citations: true } }],
    ['granite3.3_2b.jinja', 'system_multi_turn', { add_generation_prompt: true, thinking: true }],
    ['command-r7b_7b.jinja', 'system_multi_turn', { add_generation_prompt: true, documents: DOCUMENTS }],
  ];
  for (const [file, chat, options] of extra) {
    const config = t(file.replace(/\.jinja$/, ''));
    config.chat_template_file = file;
    const jsConfig = { ...config, chat_template: fs.readFileSync(path.join(templatesDir, file), 'utf8') };
    delete jsConfig.chat_template_file;
    const before = cases.length;
    run(`${file} / ${chat} ${label(options)}`, jsConfig, CHATS[chat], options);
    if (cases.length > before) cases[cases.length - 1].config = config;
  }
}

// ---------------------------------------------------------------------------------------------
// Config cases: how the template and the special tokens are chosen.
{
  const smollm = fs.readFileSync(path.join(templatesDir, 'smollm2_135m.jinja'), 'utf8');
  const qwen = fs.readFileSync(path.join(templatesDir, 'qwen2.5_0.5b.jinja'), 'utf8');
  const named = [
    { name: 'default', template: smollm },
    { name: 'tool_use', template: qwen },
  ];
  const others = [{ name: 'rag', template: qwen }, { name: 'tool_use', template: qwen }];
  const chat = CHATS.system_multi_turn;
  run('named templates: default', { chat_template: named }, chat, { add_generation_prompt: true });
  run('named templates: tools select tool_use', { chat_template: named }, chat, { add_generation_prompt: true, tools: TOOLS });
  run('named templates: empty tools still select tool_use', { chat_template: named }, chat, { tools: [] });
  run('named templates: chosen by name', { chat_template: named }, chat, { chat_template: 'tool_use' });
  run('named templates: an unknown name is a template itself', { chat_template: named }, chat, { chat_template: '{{ messages|length }} messages' });
  run('named templates: no default', { chat_template: others }, chat, {});
  run('named templates: no default, tools', { chat_template: others }, chat, { tools: TOOLS });
  run('named templates: malformed list', { chat_template: [{ name: 'default' }] }, chat, {});
  run('string template with a chat_template option', { chat_template: smollm }, chat, { chat_template: '{{ messages[0].role }}' });
  run('no template at all', {}, chat, {});
  run('no template, chat_template option', {}, chat, { chat_template: '{{ messages[-1].content }}' });
  const tokensTemplate = '{% for t in [bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token] %}[{{ t }}]{% endfor %}|{{ bos_token is defined }}{{ pad_token is defined }}';
  run('special tokens: strings', { chat_template: tokensTemplate, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', sep_token: '[SEP]', pad_token: '<pad>', cls_token: '[CLS]', mask_token: '[MASK]' }, [], {});
  run('special tokens: AddedToken objects', { chat_template: tokensTemplate, bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false }, eos_token: { __type: 'AddedToken', content: '</s>' } }, [], {});
  run('special tokens: empty and null ones are not passed', { chat_template: tokensTemplate, bos_token: '', eos_token: null, pad_token: '<pad>' }, [], {});
  run('special tokens: pad_token does not fall back to eos_token', { chat_template: tokensTemplate, eos_token: '</s>' }, [], {});
  run('special tokens: an object that is not an AddedToken', { chat_template: tokensTemplate, bos_token: { content: '<s>' } }, [], {});
  run('extra variables override special tokens', { chat_template: tokensTemplate, bos_token: '<s>' }, [], { bos_token: 'B', eos_token: 'E' });
  run('extra variables override messages', { chat_template: '{{ messages }}' }, CHATS.user_only, { messages: 'replaced' });
  run('tiny-llama fixture', JSON.parse(fs.readFileSync(path.join(root, 'tests', 'fixtures', 'models', 'tiny-llama', 'tokenizer_config.json'), 'utf8')), chat, { add_generation_prompt: true });
  cases.at(-1).config = { config_file: 'models/tiny-llama/tokenizer_config.json' };
  const echo = '{% for m in messages %}{{ m.role }}={{ m.content }};{% endfor %}';
  run('messages: not a list', { chat_template: echo }, { role: 'user', content: 'hi' }, {});
  run('messages: an item is a string', { chat_template: echo }, [{ role: 'user', content: 'hi' }, 'hello'], {});
  run('messages: an item has no content', { chat_template: echo }, [{ role: 'user', content: 'hi' }, { role: 'assistant' }], {});
  run('messages: an item has no role', { chat_template: echo }, [{ content: 'hi' }], {});
  run('messages: content may be null', { chat_template: echo }, [{ role: 'user', content: null }], {});
  run('messages: extra fields pass through', { chat_template: '{{ messages[0].name }}|{{ messages[0]|tojson }}' }, [{ role: 'user', content: 'hi', name: 'Ann', meta: { n: 1, f: 1.5, z: 1.0 } }], {});
}

// ---------------------------------------------------------------------------------------------
// Feature cases: [name, template, variables, expect]. `expect: 'syntax'` marks a template that must not
// parse; every other outcome (output or error) is whatever Transformers.js gives.
const DATA = {
  b: [1, 2.5, { c: null, d: [] }],
  a: 'é"\n🦙\u0001\u007f\u2028',
  empty_list: [],
  empty_map: {},
  t: true,
  10: 'ten',
  2: 'two',
  num: -0.5,
};
const PEOPLE = [
  { name: 'Carla', age: 41, address: { city: 'Oslo' }, tags: ['x', 'y'] },
  { name: 'ann', age: 29, address: { city: 'Paris' }, tags: ['z'] },
  { name: 'Bob', age: 35, address: {}, tags: [] },
];
const MSGS = [
  { role: 'system', content: 'S' },
  { role: 'user', content: 'U1' },
  { role: 'assistant', content: 'A1', tool: 'yes' },
  { role: 'user', content: 'U2' },
];
const FEATURES = [
  // whitespace control, comments, the preprocessing
  ['strip markers', 'a  {{- "b" -}}  c|a  {{ "b" }}  c'],
  ['statement strip markers', 'a\n  {%- if true %}x{% endif -%}\n  b'],
  ['trim_blocks and lstrip_blocks', '<ul>\n  {% for i in [1, 2] %}\n    <li>{{ i }}</li>\n  {% endfor %}\n</ul>\n'],
  ['lstrip_blocks after \\r and tabs', 'a\r  {% if true %}x{% endif %}\n\t {%- if true %}y{% endif %}'],
  ['lstrip does not apply to expressions', 'a\n  {{ "x" }}\n  b'],
  ['one trailing newline is dropped', 'x\n\n'],
  ['comments', 'a{# c #}b {#- c -#} c\n{# c #}\nd'],
  ['comment strip markers', 'a \n {#- x #} b {# y -#} \n c'],
  ['generation tags', 'a {% generation %}b{% endgeneration %} c|d  {%- generation -%}  e  {%- endgeneration %}  f'],
  ['unicode whitespace stripped by -', 'a\u3000\u00a0{{- "b" -}}\u2003c'],
  ['text with braces', 'a { b } {c} }} %} #}'],
  // literals and operators
  ['integer arithmetic', '{{ 1 + 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 7 / 2 }}|{{ 6 / 2 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}|{{ 2 ** 3 ** 2 }}|{{ 3 - 5 }}|{{ 4 * 2.5 }}'],
  ['float printing', '{{ 1.0 }}|{{ 0.1 + 0.2 }}|{{ -0.0 }}|{{ 2.50 }}|{{ 1.5 * 2 }}|{{ 100000000000000000000.0 }}|{{ 0.000001 }}|{{ 0.0000001 }}|{{ 123456789.125 }}'],
  ['big integers', '{{ 100000000000000000000 }}|{{ 1000000000000000000000 }}|{{ 2 ** 70 }}|{{ 9007199254740993 }}|{{ big }}', { big: 12345678901234567890 }],
  ['division by zero', '{{ 10 / 0 }}|{{ -1 / 0 }}|{{ 0 / 0 }}|{{ 5 // 0 }}|{{ 5 % 0 }}|{{ 5.0 % 0 }}'],
  ['number from JSON', '{{ i }}|{{ f }}|{{ z }}|{{ i is integer }}{{ z is integer }}{{ f is integer }}|{{ z|tojson }}|{{ z ~ "" }}', { i: 3, f: 2.5, z: 1.0 }],
  ['exponent literal is not a number', '{{ 1e3 }}', {}, 'syntax'],
  ['string concatenation', '{{ "a" ~ 1 ~ 1.0 ~ true ~ [1, 2] ~ none|default("n") }}|{{ "a" + 1 }}|{{ 1 + "a" }}|{{ "a" + 1.0 }}|{{ "x" ~ (1, 2) }}|{{ "x" ~ {"a": 1} }}'],
  ['adjacent string literals', "{{ 'a' \"b\" 'c' }}"],
  ['escapes', "{{ 'tab\\tnew\\nquote\\' dq\\\" back\\\\ bell\\b ff\\f vt\\v cr\\r' }}"],
  ['\\x escape is unsupported', "{{ '\\x41' }}", {}, 'syntax'],
  ['\\u escape is unsupported', "{{ '\\u00e9' }}", {}, 'syntax'],
  ['unknown escape', "{{ '\\q' }}", {}, 'syntax'],
  ['concatenation with none', '{{ "a" ~ none }}'],
  ['concatenation with undefined', '{{ "a" ~ nope }}'],
  ['comparisons', '{{ 1 < 2 }}{{ 2 <= 1 }}{{ 2 > 1.5 }}{{ 3 >= 3 }}|{{ "a" == "a" }}{{ 1 == 1.0 }}{{ 1 == "1" }}{{ true == 1 }}{{ none == nope }}{{ [1] == [1] }}{{ x == x }}{{ [1] == "1" }}{{ [1, 2] == "1,2" }}{{ {} == "[object Map]" }}{{ 0 == "" }}{{ " 12 " == 12 }}{{ "0x10" == 16 }}{{ none == 0 }}{{ false == "" }}', { x: [1] }],
  ['inequality', '{{ 1 != 2 }}{{ "a" != "a" }}{{ none != nope }}'],
  ['string ordering is not supported', '{{ "a" < "b" }}'],
  ['logical operators', '{{ none or "x" }}|{{ 0 and 1 }}|{{ [] or "empty" }}|{{ "a" and "b" }}|{{ {} or "e" }}|{{ ns or "n" }}', {}],
  ['not', '{{ not [] }}|{{ not {} }}|{{ not "" }}|{{ not 0 }}|{{ not none }}|{{ not nope }}|{{ not not 1 }}|{{ not [1] }}|{{ not a not b }}', { a: true, b: false }],
  ['not binds looser than comparisons', '{{ not 1 == 2 }}|{{ not 1 in [1] }}|{{ (not 1) == false }}'],
  ['membership', '{{ "a" in "abc" }}{{ "" in "abc" }}{{ 1 in [1, 2] }}{{ 1.0 in [1] }}{{ "1" in [1] }}{{ "k" in {"k": 1} }}{{ "x" not in [] }}{{ 1 in nope }}{{ 1 not in nope }}{{ x in [x] }}{{ "a" in ("a", "b") }}', { x: {} }],
  ['membership of a list in a list', '{{ [1] in [[1]] }}'],
  ['membership in a number', '{{ 1 in 2 }}'],
  ['membership of undefined', '{{ nope in [1] }}'],
  ['membership of none', '{{ none in [none] }}'],
  ['ternaries', '{{ "y" if false }}|{{ "a" if 0 else "b" if 1 else "c" }}|{{ "t" if [1] else "f" }}|{{ ("x" if true) ~ "!" }}'],
  ['unary signs', '{{ -x }}{{ +x }}|{{ -(1.5) }}|{{ - true }}|{{ -(-3) }}|{{ 1 - -1 }}|{{ 1 + +1 }}|{{ -x|abs }}', { x: 4 }],
  ['unary minus on a string', '{{ -"a" }}'],
  ['precedence', '{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ 2 ** 2 * 3 }}|{{ 10 - 2 - 3 }}|{{ 2 * 3 ~ 4 }}|{{ 1 + 2|string }}'],
  ['test binds tighter than multiplication', '{{ 2 * 3 is odd }}'],
  ['string repetition is not supported', '{{ "ab" * 2 }}'],
  ['list concatenation', '{{ [1, 2] + [3] }}|{{ [1] + (2, 3) }}|{{ ([1] + [2])|length }}'],
  ['list plus string', '{{ [1] + "a" }}|{{ "a" + [1, [2, 3]] }}'],
  // variables and scope
  ['undefined variables', '[{{ nope }}]|{{ nope is defined }}|[{{ nope.attr }}]|[{{ nope.attr.deeper }}]|[{{ nope["x"] }}]|[{{ none.attr }}]|[{{ 1.attr }}]|[{{ true.x }}]'],
  ['undefined plus one', '{{ nope + 1 }}'],
  ['length of undefined', '{{ nope|length }}'],
  ['default filter', '{{ nope|default("d") }}|{{ ""|default("d") }}|{{ ""|default("d", true) }}|{{ none|default("d") }}|{{ none|default("d", boolean=true) }}|{{ 0|default(5, true) }}|[{{ nope|default() }}]|{{ false|default("d") }}'],
  ['default without parentheses', '{{ nope|default }}'],
  ['set', '{% set x = 1 %}{% set y, z = 2, 3 %}{% set (p, q) = [4, 5] %}{{ x }}{{ y }}{{ z }}{{ p }}{{ q }}'],
  ['set block', '{% set b %}  inner {{ 1 }} {% endset %}[{{ b }}]{% set c -%}  trimmed  {%- endset %}[{{ c }}]'],
  ['set unpacking too few', '{% set a, b = [1] %}'],
  ['set unpacking a string', '{% set a, b = "ab" %}'],
  ['set on a mapping', '{% set d = {} %}{% set d.x = 1 %}'],
  ['for loop scope', '{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}|{% for i in [1, 2] %}{% if i == 2 %}{{ y }}{% endif %}{% set y = i %}{% endfor %}[{{ y }}]'],
  ['if does not scope', '{% if true %}{% set x = 5 %}{% endif %}{{ x }}'],
  ['namespace', '{% set ns = namespace(n=0, items=[]) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.n }}|{{ ns.items }}|{{ ns }}|{{ ns.missing }}|{{ ns is mapping }}|{{ ns|tojson }}'],
  ['namespace from a mapping and pairs', '{% set a = namespace({"x": 1}, y=2) %}{% set b = namespace([["k", "v"], ("k2", 3)]) %}{% set c = namespace(["ab"]) %}{{ a.x }}{{ a.y }}|{{ b.k }}{{ b.k2 }}|{{ c.a }}'],
  ['namespace from a number', '{% set a = namespace(1) %}'],
  ['namespace with two arguments', '{% set a = namespace({}, {}) %}'],
  ['namespace is per scope', '{% set namespace = 5 %}{{ namespace }}|{% for i in [1] %}{{ namespace is callable }}{% endfor %}'],
  ['namespace copies its source', '{% set d = {"a": 1} %}{% set n = namespace(d) %}{% set n.a = 2 %}{{ d.a }}{{ n.a }}'],
  ['True False None', '{{ True }}{{ False }}[{{ None }}]|{{ true is boolean }}{{ None is none }}'],
  ['a variable named like a global', '{{ range }}', { range: 1 }],
  ['context keys', '{{ messages|length }}|{{ add_generation_prompt }}|[{{ tools }}]|{{ tools is none }}|{{ documents is defined }}'],
  // loops
  ['loop variables', '{% for x in ["a", "b", "c"] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}[{{ loop.previtem }}][{{ loop.nextitem }}]|{% endfor %}'],
  ['loop over a mapping', '{% for k in {"b": 1, "a": 2} %}{{ k }}{% endfor %}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k, v in d|items %}{{ k }}{% endfor %}|{% for k, v in d|dictsort %}{{ k }}{% endfor %}', { d: { z: 1, y: 2, 3: 'n', 1: 'm' } }],
  ['loop else', '{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in [1] %}x{% else %}empty{% endfor %}'],
  ['loop filter', '{% for x in range(10) if x is odd %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}'],
  ['break and continue', '{% for x in range(5) %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for x in range(5) %}{{ x }}{% if x == 2 %}{% continue %}{% endif %}-{% endfor %}'],
  ['break on the first iteration renders else', '{% for x in [1, 2] %}{% break %}{% else %}E{% endfor %}|{% for x in [1, 2] %}{% continue %}{% else %}F{% endfor %}|{% for x in [1, 2] %}{{ x }}{% if x == 2 %}{% break %}{% endif %}{% else %}G{% endfor %}'],
  ['break outside a loop', 'a{% break %}b'],
  ['nested loops', '{% for a in [1, 2] %}{% for b in ["x", "y"] %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}'],
  ['loop unpacking', '{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}'],
  ['loop unpacking too few', '{% for a, b in [[1]] %}{% endfor %}'],
  ['loop unpacking tuples is refused', '{% for a, b in [(1, 2)] %}{{ a }}{% endfor %}'],
  ['loop over a string', '{% for c in "abc" %}{{ c }}{% endfor %}'],
  ['loop over none', '{% for c in none %}{{ c }}{% endfor %}'],
  ['loop variable does not leak', '{% for x in [1] %}{% endfor %}[{{ x }}][{{ loop }}]'],
  // macros, call blocks, filter blocks
  ['macros', "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C') }} {{ greet(punct='.', name='D') }} [{{ greet() }}]"],
  ['macro varargs and kwargs', '{% macro m(a) %}{{ a }}|{{ varargs }}|{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4, y="z") }}'],
  ['macro with too many arguments', '{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}'],
  ['macro with an unknown keyword', '{% macro m(a) %}{% endmacro %}{{ m(b=1) }}'],
  ['macros see the caller scope', '{% macro show() %}{{ v }}{% endmacro %}{% set v = 1 %}{{ show() }}{% for v in [2] %}{{ show() }}{% endfor %}'],
  ['macro defaults see earlier parameters', '{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(3) }}{{ m(3, 1) }}'],
  ['recursive macro', '{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}'],
  ['macro rendering a schema', "{% macro render(v, depth=0) %}{% if v is mapping %}{% for k, x in v|items %}\n{{ k }}:{{ render(x, depth + 1) }}{% endfor %}{% elif v is iterable and v is not string %}[{% for x in v %}{{ render(x, depth + 1) }}{% if not loop.last %},{% endif %}{% endfor %}]{% else %} {{ v }}{% endif %}{% endmacro %}{{ render(schema) }}", { schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } }],
  ['call blocks', "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inside{% endcall %}|{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1, 2]) %}[{{ x }}]{% endcall %}"],
  ['filter blocks', "{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter replace('a', 'b') %}aaa{% endfilter %}|{% filter trim %}  t  {% endfilter %}"],
  ['macro output of a call with kwargs spread', '{% macro m(a, b, c) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(*[1, 2, 3]) }}|{{ m(1, **{"b": 2, "c": 3}) }}|{{ m(1, *[2], c=4) }}'],
  ['keyword given twice', '{% macro m(a) %}{% endmacro %}{{ m(a=1, **{"a": 2}) }}'],
  ['positional after keyword', '{{ f(a=1, 2) }}', {}, 'syntax'],
  ['two spreads', '{{ f(*[1], *[2]) }}', {}, 'syntax'],
  ['call a non-function', '{{ nope() }}'],
  ['call a string method that does not exist', '{{ "a".nope() }}'],
  // filters
  ['string filters', "{{ '  Hi There  '|trim }}|{{ 'hello world-wide_web x1y'|title }}|{{ 'hELLO wORLD'|capitalize }}|{{ 'aBc'|upper }}{{ 'aBc'|lower }}|{{ 'abc'|length }}|{{ '🦙é'|length }}|{{ 'x'|string }}|{{ 'abc'|join }}|{{ 'a🦙c'|join('-') }}|{{ 'x'|safe }}"],
  ['int and float filters', "{{ '12abc'|int }}|{{ 'abc'|int }}|{{ 'abc'|int(7) }}|{{ 'abc'|int(default=8) }}|{{ '3.5e2x'|float }}|{{ ' 42'|int }}|{{ '-0'|int }}|{{ '.5'|float }}|{{ 'Infinity'|float }}|{{ '1_000'|int }}|{{ 3.7|int }}|{{ -3.7|int }}|{{ 3|float }}|{{ true|int }}|{{ false|float }}|{{ 3.7|int(0) }}|{{ '5'|int(0) + 1 }}|{{ true|int(9) }}"],
  ['number filters', '{{ -3|abs }}|{{ (-3.5)|abs }}|{{ 3.0|string }}|{{ 3|string }}|{{ 2.5|string }}|{{ true|string }}|{{ false|bool }}'],
  ['unicode case mapping', "{{ 'straße ǆ ﬁ ΐ ŉ'|upper }}|{{ 'İSTANBUL ΟΔΥΣΣΕΥΣ ΣΑΣ. Σ ΑΣ\\'Α'|lower }}|{{ 'éclair ǆemal ńa'|title }}|{{ 'ǆemal'|capitalize }}|{{ 'ßa'|capitalize }}|{{ 'Straße'|lower is lower }}{{ 'ß' is upper }}"],
  ['indent', "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(width=3, first=true, blank=true) }}|{{ 'a\\nb'|indent(first=1) }}"],
  ['indent with a string width', "{{ 'a\\nb'|indent('x') }}"],
  ['replace', "{{ 'aaa'|replace('a', 'b') }}|{{ 'aaa'|replace('a', 'b', 2) }}|{{ 'abc'|replace('', '-') }}|{{ 'aaa'.replace('a', 'b', count=1) }}|{{ 'héllo'.replace('', '.', 3) }}|{{ 'a.b'.replace('.', '$&') }}|{{ 'aaa'|replace('a', 'b', count=0) }}|{{ 'aaa'.replace('a', 'b', -1) }}"],
  ['replace with one argument', "{{ 'a'.replace('a') }}"],
  ['tojson', '{{ data|tojson }}', { data: DATA }],
  ['tojson indent', '{{ data|tojson(indent=2) }}|{{ [1, [], {}]|tojson(indent=1) }}|{{ []|tojson(indent=2) }}|{{ {}|tojson(indent=2) }}', { data: DATA }],
  ['tojson indent 0', '{{ data|tojson(indent=0) }}', { data: DATA }],
  ['tojson ensure_ascii', '{{ data|tojson(ensure_ascii=true) }}', { data: DATA }],
  ['tojson sort_keys', '{{ data|tojson(sort_keys=true) }}|{{ {"b": 1, "B": 2, "a": 3, "_": 4, "1": 5, "a-b": 6, "ab": 7}|tojson(sort_keys=true) }}', { data: DATA }],
  ['tojson separators', "{{ data|tojson(separators=(',', ':')) }}|{{ data|tojson(indent=2, separators=(', ', ' = ')) }}", { data: DATA }],
  ['tojson scalars', '{{ none|tojson }}|{{ nope|tojson }}|{{ 1.0|tojson }}|{{ 2.5|tojson }}|{{ "x"|tojson }}|{{ true|tojson }}|{{ (1 / 0)|tojson }}|{{ [nope]|tojson }}'],
  ['tojson of a tuple', '{{ (1, 2)|tojson }}'],
  ['tojson of a function', '{{ range|tojson }}'],
  ['tojson with a bad indent', '{{ [1]|tojson(indent="2") }}'],
  ['printing containers', '{{ [1, "a", none, true, 1.5, [2]] }}|{{ {"a": 1, "b": [true, none]} }}|{{ [nope] }}|{{ {"k": nope} }}|{{ [{}, []] }}'],
  ['printing a tuple', '{{ (1, 2) }}'],
  ['list filters', "{{ [3, 1, 2]|sort }}|{{ ['b', 'A', 'a', 'B']|sort }}|{{ ['b', 'A', 'a']|sort(case_sensitive=true) }}|{{ [3, 1, 2]|sort(true) }}|{{ [1, 2, 3]|reverse }}|{{ [1, 2]|first }}{{ [1, 2]|last }}|{{ [1, 2]|length }}|{{ [1, 'a', none, true, 1.5, [2, 3], {}]|join }}|{{ [1, 2]|join(', ') }}|{{ [1, 1, '1', 2, 1.0]|unique }}|{{ [1, 2]|list }}|{{ [1, 'x']|string }}|{{ (1, 2)|reverse }}|{{ [true, 0, 2.5]|sort }}"],
  ['sort mixed types', "{{ [1, 'a']|sort }}"],
  ['sort by attribute', "{{ people|sort(attribute='age')|map(attribute='name')|join(',') }}|{{ people|sort(attribute='name', reverse=true)|map(attribute='name')|join(',') }}|{{ people|sort(attribute='name', case_sensitive=true)|map(attribute='name')|join(',') }}", { people: PEOPLE }],
  ['map', "{{ people|map(attribute='name')|list }}|{{ people|map(attribute='address.city')|list }}|{{ people|map(attribute='address.city', default='?')|join(',') }}|{{ people|map(attribute='tags.0')|list }}", { people: PEOPLE }],
  ['map without attribute', '{{ [1]|map("upper") }}'],
  ['map over non-objects', "{{ [1]|map(attribute='x') }}"],
  ['selectattr and rejectattr', "{{ msgs|selectattr('role', 'equalto', 'user')|map(attribute='content')|join(',') }}|{{ msgs|rejectattr('role', 'equalto', 'user')|length }}|{{ msgs|selectattr('tool')|length }}|{{ msgs|selectattr('tool', 'defined')|length }}|{{ msgs|rejectattr('tool')|map(attribute='role')|join(',') }}|{{ msgs|selectattr('role', 'eq', 'system')|length }}", { msgs: MSGS }],
  ['selectattr with an unknown test', "{{ msgs|selectattr('role', 'nope')|length }}", { msgs: MSGS }],
  ['selectattr with a non-literal argument', "{{ msgs|selectattr(x)|length }}", { msgs: MSGS, x: 'role' }],
  ['mapping filters and methods', "{{ d|items }}|{{ d|length }}|{{ d|dictsort }}|{{ d|dictsort(by='value', reverse=true) }}|{{ d|dictsort(true) }}|{{ d.keys() }}|{{ d.values() }}|{{ d.get('a') }}|{{ d.get('zz', 'dflt') }}|[{{ d.get('zz') }}]|{{ d|keys }}|{{ d.items()|list }}", { d: { b: 2, a: 1, C: 3 } }],
  ['mapping key shadows a method', '{{ d.items }}|{{ d.get }}|{{ d|items }}', { d: { items: 'mine', get: 'also mine' } }],
  ['filter errors: upper on a number', '{{ 5|upper }}'],
  ['filter errors: unknown string filter', '{{ "x"|nonexistent }}'],
  ['filter errors: trim on a list', '{{ [1]|trim }}'],
  ['filter errors: unknown mapping filter', '{{ {}|foo }}'],
  ['filter errors: upper() with parentheses', '{{ "x"|upper() }}'],
  ['filter errors: length of none', '{{ none|length }}'],
  ['filter errors: join on a number', '{{ 5|join(",") }}'],
  ['first of an empty list, through a variable', '{% set f = []|first %}{{ f is defined }}|{% set l = []|last %}[{{ l }}]'],
  ['first of an empty list, printed', '{{ []|first }}'],
  ['first of an empty list, tested', '{{ ([]|first) is defined }}'],
  ['first of an empty list, defaulted', '{{ ([]|first)|default("x") }}'],
  // tests
  ['tests', "{{ 1 is odd }}{{ 2 is even }}{{ 'a' is string }}{{ 1 is number }}{{ 1.5 is number }}{{ 1.5 is integer }}{{ [] is iterable }}{{ 'a' is iterable }}{{ {} is iterable }}{{ (1, 2) is iterable }}|{{ {} is mapping }}{{ 'abc' is sequence }}{{ (1, 2) is sequence }}{{ {} is sequence }}|{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'aB' is lower }}{{ '1' is lower }}|{{ none is none }}{{ range is callable }}{{ 'a'.upper is callable }}{{ x is callable }}|{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }}{{ 1 is boolean }}|{{ nope is not defined }}{{ nope is undefined }}{{ none is defined }}|{{ 1 is not odd }}{{ x is not none }}", { x: 1 }],
  ['odd of a float', '{{ 1.5 is odd }}'],
  ['eq test without an argument', '{{ 1 is eq }}'],
  ['unknown test', '{{ 1 is foo }}'],
  ['tests take no arguments', '{{ 3 is divisibleby(3) }}', {}, 'syntax'],
  // string methods
  ['strip ignores its argument', "[{{ '  a b  '.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '\\n a \\n'.lstrip('\\n') }}][{{ '\\n a \\n'.rstrip() }}][{{ '\u3000a\u00a0'.strip() }}]"],
  ['split', "{{ 'a,b,,c'.split(',') }}|{{ ' a  b \\n c '.split() }}|{{ 'a b c'.split(none, 1) }}|{{ 'a b  c '.split(none, 2) }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.split(',', 0) }}|{{ 'a,b,c,d'.split(',', -2) }}|{{ ''.split(',') }}|{{ ''.split() }}|{{ 'a</think>b'.split('</think>')[-1] }}"],
  ['split with an empty separator', "{{ 'a'.split('') }}"],
  ['split with keyword maxsplit', "{{ 'a,b'.split(',', maxsplit=1) }}"],
  ['startswith and endswith', "{{ 'abc'.startswith('a') }}{{ 'abc'.startswith(('x', 'ab')) }}{{ 'abc'.startswith(['x']) }}{{ 'abc'.endswith('bc') }}{{ 'abc'.endswith('') }}{{ 'a'.startswith('ab') }}"],
  ['startswith a number', "{{ 'a'.startswith(1) }}"],
  ['case methods', "{{ 'Hello'.upper() }}{{ 'Hello'.lower() }}|{{ 'hello world'.title() }}|{{ 'hello'.capitalize() }}|{{ 'abc'.length }}"],
  ['string indexing and slicing', "{{ 'abc'[1] }}{{ 'abc'[-1] }}[{{ 'abc'[5] }}]{{ 'abc'[5] is defined }}{{ 'abc'[5] is string }}{{ not 'abc'[5] }}{{ 'abc'[9] == none }}|{{ 'abcdef'[1:4] }}|{{ 'abcdef'[::2] }}|{{ 'abcdef'[::-1] }}|{{ '🦙ab'[::-1] }}|{{ 'héllo'[1] }}|{{ 'abc'.0 }}|{{ 'abc'[-9:2] }}"],
  ['an out-of-range character concatenated', "{{ 'abc'[5] ~ 'x' }}"],
  // lists, mappings, slicing, member access
  ['list slicing', '{{ l[1:3] }}|{{ l[-2:] }}|{{ l[::-1] }}|{{ l[::2] }}|{{ l[4:1:-1] }}|{{ l[5:] }}|{{ l[::0] }}|{{ l[-1] }}|[{{ l[5] }}]|{{ l.length }}|{{ l[:2] }}|{{ l[:-2] }}|{{ l[-100:100] }}|{{ l.0 }}', { l: [1, 2, 3, 4, 5] }],
  ['slice with a float', '{{ [1, 2][0.5:] }}'],
  ['member access', "{{ messages[0].role }}|{{ messages[-1]['content'] }}|{{ messages.0.role }}|{{ {'a': 1}.a }}|{{ {'a': 1}['a'] }}|{{ {'items': 5}.items }}|{{ {'a': 1}.items() }}", {}],
  ['index a mapping with a number', "{{ {'a': 1}[0] }}"],
  ['index a list with a float', '{{ [1][0.0] }}'],
  ['lenient literals', "{{ [1 2 3] }}|{{ {'a': 1 'b': 2} }}|{{ [1, 2, ] }}"],
  ['a number as a mapping key', '{{ {1: 2} }}'],
  ['trailing comma in a tuple', '{{ (1, ) }}', {}, 'syntax'],
  // globals
  ['raise_exception', "{{ raise_exception('boom: ' ~ 42) }}"],
  ['raise_exception with a number', '{{ raise_exception(42) }}'],
  ['raise_exception in a loop', "{% for m in messages %}{% if m.role == 'user' %}{{ raise_exception('Role ' + m.role + ' at ' + loop.index0|string + ' is not allowed') }}{% endif %}{% endfor %}"],
  ['range', '{{ range(3) }}|{{ range(1, 4) }}|{{ range(5, 0, -2) }}|{{ range(0) }}|{{ range(0, 1, 0.25) }}|{{ range(3, 1) }}|{{ range(-2) }}'],
  ['range with a zero step', '{{ range(1, 2, 0) }}'],
  ['range with none', '{{ range(none, 3) }}|{{ range(1, none) }}|{{ range(none) }}|{{ range(nope) }}|{{ range(2, nope) }}'],
  ['none is raw undefined', "{{ [1, none, 'a'] ~ '' }}|{{ [none, nope, 1]|unique|length }}|{{ d|selectattr('x', 'equalto', nope)|length }}|{{ none is eq(none) if false }}", { d: [{ x: null }, { x: 1 }] }],
  ['raise_exception with none', '{{ raise_exception(none) }}'],
  ['lists compare by identity, not by text', '{{ [] != ((1, [2]), [3]) }}|{{ [[1]] == "1" }}|{{ [(1, 2)] == "x" }}'],
  ['strftime_now is callable', '{{ strftime_now is defined }}'],
  // syntax errors (the C++ side must name a line and column)
  ['unclosed if', '{% if x %}never closed', {}, 'syntax'],
  ['unclosed expression', 'a {{ x', {}, 'syntax'],
  ['missing iterable', '{% for x in %}{% endfor %}', {}, 'syntax'],
  ['stray endif', '{% endif %}', {}, 'syntax'],
  ['unknown statement', '{% include "x" %}', {}, 'syntax'],
  ['unterminated string', "{{ 'abc }}", {}, 'syntax'],
  ['unterminated comment', 'a {# never', {}, 'syntax'],
  ['two expressions', '{{ x y }}', {}, 'syntax'],
  ['empty set', '{% set %}', {}, 'syntax'],
  ['filter without a name', '{{ x | }}', {}, 'syntax'],
  ['macro without a name', '{% macro 1() %}{% endmacro %}', {}, 'syntax'],
  ['unclosed tuple', '{{ (1, 2 }}', {}, 'syntax'],
  ['empty subscript', '{{ a[] }}', {}, 'syntax'],
  ['slice with four parts', '{{ a[1:2:3:4] }}', {}, 'syntax'],
  ['number as a loop variable', '{% for 1 in x %}{% endfor %}', {}, 'syntax'],
  ['unexpected character', '{{ @ }}', {}, 'syntax'],
  ['error on line 3', 'line 1\nline 2\n  {{ x ) }}', {}, 'syntax'],
  ['duplicate parameter', '{% macro m(a, a) %}{% endmacro %}', {}, 'syntax'],
  ['elif after else', '{% if a %}{% else %}{% elif b %}{% endif %}', {}, 'syntax'],
  ['raw blocks are unsupported', '{% raw %}{{ x }}{% endraw %}', {}, 'syntax'],
];
for (const [name, template, variables = {}, expect] of FEATURES) {
  run(`feature: ${name}`, {}, [...(/messages/.test(template) ? MSGS : [])], { chat_template: template, ...variables }, expect);
}

// ---------------------------------------------------------------------------------------------
// Shared values are written once: a case names its conversation ("chat"), "$tools" / "$documents" stand
// for the lists above, and a named template or string template read from a fixture file is written as
// {"template_file": ...} / "chat_template_file".
const fileOf = new Map(templateFiles.map((f) => [fs.readFileSync(path.join(templatesDir, f), 'utf8'), f]));
const chatNames = new Map(Object.entries(CHATS).map(([k, v]) => [v, k]));
for (const c of cases) {
  if (chatNames.has(c.messages)) {
    c.chat = chatNames.get(c.messages);
    delete c.messages;
  }
  if (Array.isArray(c.config.chat_template)) {
    c.config = { ...c.config, chat_template: c.config.chat_template.map((e) => (fileOf.has(e.template) ? { name: e.name, template_file: fileOf.get(e.template) } : e)) };
  } else if (typeof c.config.chat_template === 'string' && fileOf.has(c.config.chat_template)) {
    c.config = { ...c.config, chat_template_file: fileOf.get(c.config.chat_template) };
    delete c.config.chat_template;
  }
  for (const [k, v] of Object.entries(c.options)) {
    if (v === TOOLS) c.options[k] = '$tools';
    if (v === DOCUMENTS) c.options[k] = '$documents';
  }
}
const golden = {
  generated_by: 'tools/golden/chat_template_goldens.mjs',
  transformers_js: tjsVersion,
  jinja: jinjaVersion,
  chats: CHATS,
  tools: TOOLS,
  documents: DOCUMENTS,
  cases,
};
fs.mkdirSync(path.dirname(outFile), { recursive: true });
// One line per case (and per shared value), so that a regeneration diffs by case.
const lines = (items) => items.map((x) => '  ' + JSON.stringify(x)).join(',\n');
const { cases: all, chats, ...head } = golden;
let text = JSON.stringify(head, null, 1).replace(/\n}$/, ',\n');
text += ' "chats": {\n' + Object.entries(chats).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n') + '\n },\n';
text += ' "cases": [\n' + lines(all) + '\n ]\n}\n';
JSON.parse(text);
fs.writeFileSync(outFile, text);
const errors = cases.filter((c) => c.error !== undefined).length;
console.log(`wrote ${cases.length} cases (${errors} errors, ${dropped} dropped: they show the clock) from ${templateFiles.length} templates to ${outFile}`);
