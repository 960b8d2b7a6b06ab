// The official OpenAI Node client with its defaults and apiKey "none", as an application would
// point it at Kiln. Prints one JSON line of what it got; exits non-zero when a call fails unexpectedly.
import OpenAI from "openai";

const baseURL = process.env.KILN_BASE_URL;
const model = process.env.KILN_MODEL ?? "all-minilm-l6-v2-q";
const client = new OpenAI({ apiKey: "none", baseURL });

const answer = await client.embeddings.create({ model, input: ["Kiln keeps models hot.", "hello world"] });

// A refusal reaches the caller as the SDK's typed error, read from OpenAI's error shape.
async function refusal(request) {
  try {
    await client.embeddings.create(request);
    return { status: 200 };
  } catch (e) {
    if (!(e instanceof OpenAI.APIError)) throw e;
    return { status: e.status, type: e.type ?? null, code: e.code ?? null, param: e.param ?? null, message: e.message };
  }
}

console.log(JSON.stringify({
  model: answer.model,
  count: answer.data.length,
  dimensions: answer.data.map((d) => d.embedding.length),
  first: answer.data[0].embedding.slice(0, 4),
  prompt_tokens: answer.usage.prompt_tokens,
  unknown_model: await refusal({ model: "no-such-model", input: "x" }),
  out_of_vocabulary: await refusal({ model, input: [101, 40000, 102] }),
}));
