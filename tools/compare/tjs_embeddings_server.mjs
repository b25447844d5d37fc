// How people serve embeddings with Transformers.js today: a minimal node `http` server around the model,
// answering POST /v1/embeddings in OpenAI's shape (mean pooling,
// normalized, as transformers-cpp serve answers). The baseline of bench/server/load.sh.
//   node tools/compare/tjs_embeddings_server.mjs MODEL_DIR PORT   (Transformers.js from tools/node: npm ci there)
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tjs = path.join(repo, "tools/node/node_modules/@huggingface/transformers/dist/transformers.node.mjs");
const { env, AutoTokenizer, AutoModel, mean_pooling } = await import(pathToFileURL(tjs).href);

const [modelDir, port] = process.argv.slice(2);
env.allowRemoteModels = false;
env.useFSCache = false;
env.localModelPath = path.dirname(path.resolve(modelDir));
// Tokenizer and model directly, not pipeline('feature-extraction'): Transformers.js' pipeline reads
// last_hidden_state, and the default model (USE lite) outputs a pooled `sentence_embedding`.
const name = path.basename(modelDir);
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModel.from_pretrained(name, { dtype: "fp32" });
async function embed(texts) {
  const inputs = tokenizer(texts, { padding: true, truncation: true });
  const out = await model(inputs);
  const pooled = out.sentence_embedding ?? mean_pooling(out.last_hidden_state, inputs.attention_mask);
  return pooled.normalize(2, -1).tolist();
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/v1/embeddings") {
    res.writeHead(404).end();
    return;
  }
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", async () => {
    try {
      const { input, model } = JSON.parse(body);
      const texts = Array.isArray(input) ? input : [input];
      const rows = await embed(texts);
      const data = rows.map((embedding, index) => ({ object: "embedding", index, embedding }));
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ object: "list", data, model }));
    } catch (e) {
      res.writeHead(400, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(e) } }));
    }
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(port), "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
