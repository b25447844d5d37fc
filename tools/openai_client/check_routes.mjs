// The official openai npm client against a running `transformers-cpp serve`: models, embeddings (the
// client's default base64 transfer, decoded by the client), completions and chat completions, streamed and
// not, and an error. Prints one JSON object of what it got; tests/server compares it with the library.
//   node check_routes.mjs BASE_URL API_KEY
import OpenAI from "openai";

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30000 });
const texts = ["I love this film", "awful, simply awful", "the weather is fine today"];
const got = {};

const models = await client.models.list();
got.models = models.data.map((m) => m.id);

const emb = await client.embeddings.create({ model: "emb", input: texts });
got.embeddings = emb.data.map((d) => Array.from(d.embedding));
got.embedding_tokens = emb.usage.prompt_tokens;

const completion = await client.completions.create({ model: "gpt", prompt: "hello there", max_tokens: 8 });
got.completion = { text: completion.choices[0].text, finish_reason: completion.choices[0].finish_reason, usage: completion.usage };

let streamed = "";
for await (const chunk of await client.completions.create({ model: "gpt", prompt: "hello there", max_tokens: 8, stream: true })) {
  streamed += chunk.choices[0]?.text ?? "";
}
got.completion_streamed = streamed;

const messages = [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }];
const chat = await client.chat.completions.create({ model: "llama", messages, max_tokens: 6 });
got.chat = chat.choices[0].message.content;

let chatStreamed = "";
const stream = await client.chat.completions.create({ model: "llama", messages, max_tokens: 6, stream: true });
for await (const chunk of stream) chatStreamed += chunk.choices[0]?.delta?.content ?? "";
got.chat_streamed = chatStreamed;

try {
  await client.embeddings.create({ model: "no-such-model", input: "x" });
  got.error = "none";
} catch (e) {
  got.error = { status: e.status, message: e.message };
}
try {
  await new OpenAI({ baseURL, apiKey: "wrong", maxRetries: 0 }).models.list();
  got.wrong_key = "accepted";
} catch (e) {
  got.wrong_key = e.status;
}
console.log(JSON.stringify(got));
