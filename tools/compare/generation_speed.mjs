// Transformers.js' greedy decoding speed on a local folder: per-token time from two calls of different
// lengths (N+1 and 1 new tokens; the difference is N steps), median of ROUNDS. Used by generation_speed.sh.
//   node generation_speed.mjs MODEL_DIR PROMPT_TOKENS NEW_TOKENS ROUNDS
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tjs = path.join(repo, 'tools/node/node_modules/@huggingface/transformers/dist/transformers.node.mjs');
const { pipeline, env } = await import(pathToFileURL(tjs).href);

const [dir, promptTokens, newTokens, rounds] = process.argv.slice(2);
env.allowRemoteModels = false;
env.useFSCache = false;
env.localModelPath = path.dirname(path.resolve(dir));
const gen = await pipeline('text-generation', path.basename(dir), { dtype: 'fp32' });
// A prompt of exactly PROMPT_TOKENS tokens (counted by the tokenizer).
let ids = [];
for (let w = 0; ids.length < Number(promptTokens); ++w) ids = gen.tokenizer.encode('hello world '.repeat(w + 1));
const prompt = gen.tokenizer.decode(ids.slice(0, Number(promptTokens)));
const time = async (n) => {
  const t = performance.now();
  await gen(prompt, { max_new_tokens: n, do_sample: false });
  return performance.now() - t;
};
await time(2);  // warm-up
const per = [];
for (let r = 0; r < Number(rounds); ++r) {
  const long = await time(Number(newTokens) + 1), short = await time(1);
  per.push((long - short) / Number(newTokens));
}
per.sort((a, b) => a - b);
console.log(JSON.stringify({ prompt, ms_per_token: per[Math.floor(per.length / 2)] }));
