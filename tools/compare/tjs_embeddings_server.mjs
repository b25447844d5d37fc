// How people serve embeddings with Transformers.js today: a minimal node `http` server around
// pipeline('feature-extraction'), answering POST /v1/embeddings in OpenAI's shape (mean pooling,
// normalized, as transformers-cpp serve answers). The baseline of bench/server/load.sh.
//   cd tools/node && node ../compare/tjs_embeddings_server.mjs MODEL_DIR PORT
import http from "node:http";
import path from "node:path";
import { env, pipeline } from "@huggingface/transformers";

const [modelDir, port] = process.argv.slice(2);
env.allowRemoteModels = false;
env.useFSCache = false;
env.localModelPath = path.dirname(path.resolve(modelDir));
const extractor = await pipeline("feature-extraction", path.basename(modelDir), { dtype: "fp32" });

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
      const out = await extractor(texts, { pooling: "mean", normalize: true });
      const rows = out.tolist();
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
