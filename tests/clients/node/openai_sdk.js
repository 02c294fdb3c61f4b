#!/usr/bin/env node
'use strict';
// The official OpenAI Node SDK (`openai` on npm) pointed at the gateway's HTTP API, as an app developer would use it:
// chat with an image, non-streaming and streaming, stream_options.include_usage, logprobs with top_logprobs,
// frequency/presence penalties, a logit_bias, seed reproducibility, and the fields the gateway refuses. It prints
// what the SDK returned (one JSON document on stdout) for the integration test to judge; any failure the SDK did
// not expect prints {"ok": false, "error": ...} and exits 1 (2 for bad usage).
//
//   node openai_sdk.js --base-url http://127.0.0.1:8080/v1 --image deploy/sample/still-life.png \
//     --question "What is on the table?" --bias-token 300 [--max-tokens 6]

const fs = require('node:fs');
const { parseArgs } = require('node:util');
const { OpenAI } = require('openai');

const USAGE = 'usage: node openai_sdk.js --base-url URL --image FILE --question TEXT --bias-token ID [--max-tokens N]';

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'base-url': { type: 'string' },
      image: { type: 'string' },
      question: { type: 'string' },
      'bias-token': { type: 'string' },
      'max-tokens': { type: 'string', default: '6' },
    },
    strict: true,
  });
  for (const name of ['base-url', 'image', 'question', 'bias-token']) {
    if (!values[name]) throw new Error(`--${name} is required\n${USAGE}`);
  }
  return values;
}

/** The messages of one question about one image, as OpenAI's vision examples write them. */
function messages(question, imagePath) {
  const url = `data:image/png;base64,${fs.readFileSync(imagePath).toString('base64')}`;
  return [{ role: 'user', content: [{ type: 'text', text: question }, { type: 'image_url', image_url: { url } }] }];
}

/** A non-streaming answer, reduced to what the test compares. */
function answer(completion) {
  const choice = completion.choices[0];
  return {
    object: completion.object,
    content: choice.message.content,
    finish_reason: choice.finish_reason,
    usage: completion.usage,
    logprobs: choice.logprobs,
  };
}

/** A stream read to its end with the SDK's async iterator: the chunks' content joined, their logprobs, their usage. */
async function streamed(stream) {
  const result = { content: '', finish_reason: null, chunks: 0, usage_chunks: [], null_usage_chunks: 0, logprobs: [], chunk_logprobs_null: 0 };
  for await (const chunk of stream) {
    result.chunks += 1;
    if (chunk.usage) result.usage_chunks.push({ usage: chunk.usage, choices: chunk.choices.length });
    else if (chunk.usage === null) result.null_usage_chunks += 1;
    for (const choice of chunk.choices) {
      if (choice.delta && typeof choice.delta.content === 'string') result.content += choice.delta.content;
      if (choice.finish_reason) result.finish_reason = choice.finish_reason;
      if (choice.logprobs) result.logprobs.push(...choice.logprobs.content);
      else result.chunk_logprobs_null += 1;
    }
  }
  return result;
}

/** What the SDK raised for a request the gateway refuses (an APIError with the OpenAI error body). */
async function refusal(client, body) {
  try {
    await client.chat.completions.create(body);
    return { refused: false };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { refused: true, status: error.status, param: error.param ?? null, code: error.code ?? null, type: error.type ?? null };
  }
}

async function main() {
  const o = options(process.argv.slice(2));
  // No retries: a refusal must be seen once, and a flaky answer must not be hidden.
  const client = new OpenAI({ apiKey: 'unused', baseURL: o['base-url'], maxRetries: 0, timeout: 120_000 });
  const maxTokens = Number(o['max-tokens']);
  // The model the gateway serves, as the SDK lists it.
  const models = [];
  for await (const model of client.models.list()) models.push(model.id);
  const base = { model: models[0], messages: messages(o.question, o.image), max_tokens: maxTokens, temperature: 0 };
  const biasToken = Number(o['bias-token']);

  const result = { ok: true, sdk: OpenAI.VERSION ?? null, models };
  result.plain = answer(await client.chat.completions.create(base));
  result.stream = await streamed(await client.chat.completions.create({ ...base, stream: true }));
  result.stream_usage = await streamed(await client.chat.completions.create({ ...base, stream: true, stream_options: { include_usage: true } }));
  result.stream_no_usage = await streamed(await client.chat.completions.create({ ...base, stream: true, stream_options: { include_usage: false } }));

  const withLogprobs = { ...base, logprobs: true, top_logprobs: 3 };
  result.logprobs = answer(await client.chat.completions.create(withLogprobs));
  result.logprobs_stream = await streamed(await client.chat.completions.create({ ...withLogprobs, stream: true }));

  // Forcing one token: +100 on its logit outweighs any other (greedy); the logprobs stay the raw model's.
  const forced = { ...base, logprobs: true, top_logprobs: 5 };
  result.biased = answer(await client.chat.completions.create({ ...forced, logit_bias: { [biasToken]: 100 } }));
  // Then a bias just large enough that the token would win every one of those steps by at least 1 without penalties
  // (from the raw logprobs just returned: the best other token at each step), with OpenAI's penalties on: the test
  // predicts from the same logprobs where the penalties make another token win.
  const steps = result.biased.logprobs.content;
  result.penalty_bias = 1 + Math.max(...steps.map((s) => Math.max(...s.top_logprobs.filter((t) => t.token !== s.token).map((t) => t.logprob)) - s.logprob));
  result.penalties = { frequency_penalty: 1, presence_penalty: 0.5 };
  result.penalised = answer(await client.chat.completions.create({ ...forced, logit_bias: { [biasToken]: result.penalty_bias }, ...result.penalties }));

  const sampled = { ...base, temperature: 1, max_tokens: 24 };
  result.seed_a = answer(await client.chat.completions.create({ ...sampled, seed: 42 }));
  result.seed_a_again = answer(await client.chat.completions.create({ ...sampled, seed: 42 }));
  result.seed_b = answer(await client.chat.completions.create({ ...sampled, seed: 43 }));

  result.refused = {
    json_object: await refusal(client, { ...base, response_format: { type: 'json_object' } }),
    json_schema: await refusal(client, { ...base, response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } } }),
    tools: await refusal(client, { ...base, tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] }),
    tool_choice: await refusal(client, { ...base, tool_choice: 'required' }),
    top_logprobs_alone: await refusal(client, { ...base, top_logprobs: 2 }),
    frequency_penalty: await refusal(client, { ...base, frequency_penalty: 3 }),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(error && error.stack ? error.stack : error) }) + '\n');
  process.exit(error instanceof Error && error.message.includes('usage:') ? 2 : 1);
});
