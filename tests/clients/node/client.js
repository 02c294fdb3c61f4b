#!/usr/bin/env node
'use strict';
// A Node.js client of Mustafar Mesh, written as an app developer in another stack would: it loads the repository's
// .proto files at run time and
//   1. reads the CLIP model info and encodes the image THROUGH the gateway's YARP route (the gateway's gRPC port),
//      once per requested output dtype;
//   2. reads the diffusion model info and encodes the image DIRECTLY on the diffusion service;
//   3. asks the question with VisualQuestionAnswering.Ask on the gateway and joins the streamed deltas.
// Every tensor is decoded (float32/float16/bfloat16 little-endian into numbers) and its shape is checked against
// its byte length and against GetModelInfo. The result is one JSON document on stdout; any failure prints
// {"ok": false, "error": ...} and exits 1 (2 for bad usage).
//
//   node client.js --gateway 127.0.0.1:8081 --diffusion 127.0.0.1:5201 --image deploy/sample/still-life.png \
//     --question "What is on the table?" [--max-tokens 8] [--guidance-scale 0] [--clip-dtype float16 ...]

const fs = require('node:fs');
const { parseArgs } = require('node:util');
const { loadServices, connect, unary, serverStream, DEFAULT_PROTO_ROOT, grpcVersion } = require('./protos');
const { decodeTensor, jsonNumbers } = require('./tensors');

const USAGE = `usage: node client.js --gateway HOST:PORT --diffusion HOST:PORT --image FILE --question TEXT
  [--max-tokens N] [--guidance-scale S] [--timestep T] [--seed N] [--tap NAME]... [--variant guided|conditional|unconditional]
  [--clip-dtype float32|float16|bfloat16]... [--diffusion-dtype DTYPE] [--bypass-cache] [--values N|all]
  [--timeout-ms MS] [--protos DIR]`;

class UsageError extends Error {}

function parseOptions(argv) {
  try {
    return readOptions(argv);
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError(error.message);
  }
}

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      gateway: { type: 'string' },
      diffusion: { type: 'string' },
      image: { type: 'string' },
      question: { type: 'string' },
      'max-tokens': { type: 'string', default: '8' },
      'guidance-scale': { type: 'string' },
      timestep: { type: 'string' },
      seed: { type: 'string' },
      tap: { type: 'string', multiple: true, default: [] },
      variant: { type: 'string', default: 'guided' },
      'clip-dtype': { type: 'string', multiple: true, default: [] },
      'diffusion-dtype': { type: 'string' },
      'bypass-cache': { type: 'boolean', default: false },
      values: { type: 'string', default: '16' },
      'timeout-ms': { type: 'string', default: '120000' },
      protos: { type: 'string', default: DEFAULT_PROTO_ROOT },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const required of ['gateway', 'diffusion', 'image', 'question']) {
    if (!values[required]) throw new UsageError(`--${required} is required`);
  }
  const number = (name, integer) => {
    if (values[name] === undefined) return undefined;
    const n = Number(values[name]);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be a${integer ? 'n integer' : ' number'}`);
    return n;
  };
  const dtype = (name) => {
    const upper = `DTYPE_${name.toUpperCase()}`;
    if (!['DTYPE_FLOAT32', 'DTYPE_FLOAT16', 'DTYPE_BFLOAT16'].includes(upper)) throw new UsageError(`${name} is not float32, float16 or bfloat16`);
    return upper;
  };
  const variants = { guided: 'FEATURE_VARIANT_GUIDED', conditional: 'FEATURE_VARIANT_CONDITIONAL', unconditional: 'FEATURE_VARIANT_UNCONDITIONAL' };
  if (!variants[values.variant]) throw new UsageError('--variant must be guided, conditional or unconditional');
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) throw new UsageError('--seed must be a non-negative integer');
  return {
    gateway: values.gateway,
    diffusion: values.diffusion,
    image: fs.readFileSync(values.image),
    question: values.question,
    maxTokens: number('max-tokens', true),
    guidanceScale: number('guidance-scale', false),
    timestep: number('timestep', true),
    seed: values.seed,
    taps: values.tap,
    variant: variants[values.variant],
    clipDtypes: values['clip-dtype'].length ? values['clip-dtype'].map(dtype) : ['DTYPE_UNSPECIFIED'],
    diffusionDtype: values['diffusion-dtype'] ? dtype(values['diffusion-dtype']) : 'DTYPE_UNSPECIFIED',
    bypassCache: values['bypass-cache'],
    valuesLimit: values.values === 'all' ? Infinity : number('values', true),
    timeoutMs: number('timeout-ms', true),
    protos: values.protos,
  };
}

class CheckError extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckError(message);
}

function sameShape(actual, expected) {
  return actual.length === expected.length && actual.every((d, i) => d === expected[i]);
}

/** A decoded tensor for the JSON output: header, and the first `limit` values. */
function describeTensor(decoded, limit) {
  return {
    dtype: decoded.dtype,
    shape: decoded.shape,
    byte_length: decoded.byteLength,
    element_count: decoded.values.length,
    values: jsonNumbers(decoded.values.slice(0, Math.min(limit, decoded.values.length))),
  };
}

async function encodeClip(services, options) {
  // The ClipEncoder service through the gateway: YARP routes /mustafar.clip.v1.ClipEncoder/* to the clip pool.
  const clip = connect(services.ClipEncoder, options.gateway);
  try {
    const info = await unary(clip, 'GetModelInfo', {}, options.timeoutMs);
    const encodings = [];
    for (const dtype of options.clipDtypes) {
      const response = await unary(clip, 'Encode', { image: options.image, options: { output_dtype: dtype } }, options.timeoutMs);
      const decoded = decodeTensor(response.features);
      const tokens = info.grid_height * info.grid_width + (response.select_feature === 'FEATURE_SELECT_CLS_PATCH' ? 1 : 0);
      const expected = [tokens, info.hidden_size];
      check(sameShape(decoded.shape, expected), `CLIP features have shape [${decoded.shape}], GetModelInfo implies [${expected}]`);
      check(dtype === 'DTYPE_UNSPECIFIED' ? decoded.dtype === info.compute_dtype : decoded.dtype === dtype,
        `CLIP features came as ${decoded.dtype} for requested ${dtype} (compute dtype ${info.compute_dtype})`);
      encodings.push({
        requested_dtype: dtype,
        model_id: response.model_id,
        select_layer: response.select_layer,
        select_feature: response.select_feature,
        expected_shape: expected,
        ...describeTensor(decoded, options.valuesLimit),
      });
    }
    return { route: `gateway ${options.gateway}`, model_info: info, encodings };
  } finally {
    clip.close();
  }
}

async function encodeDiffusion(services, options) {
  const diffusion = connect(services.DiffusionEncoder, options.diffusion);
  try {
    const info = await unary(diffusion, 'GetModelInfo', {}, options.timeoutMs);
    const request = {
      image: options.image,
      prompt: options.question,
      taps: options.taps,
      variant: options.variant,
      output_dtype: options.diffusionDtype,
    };
    if (options.timestep !== undefined) request.timestep = options.timestep;
    if (options.seed !== undefined) request.seed = options.seed;
    if (options.guidanceScale !== undefined) request.guidance_scale = options.guidanceScale;
    const response = await unary(diffusion, 'Encode', request, options.timeoutMs);

    const wanted = options.taps.length ? options.taps : info.default_taps;
    check(response.features.length === wanted.length, `asked for taps [${wanted}], got ${response.features.length} feature tensors`);
    const features = response.features.map((tap, i) => {
      check(tap.tap === wanted[i], `feature ${i} is tap ${tap.tap}, asked for ${wanted[i]}`);
      const tapInfo = info.taps.find((t) => t.name === tap.tap);
      check(tapInfo !== undefined, `tap ${tap.tap} is not among GetModelInfo's taps`);
      const decoded = decodeTensor(tap.features);
      const expected = [tapInfo.grid_height * tapInfo.grid_width, tapInfo.channels];
      check(sameShape(decoded.shape, expected), `tap ${tap.tap} has shape [${decoded.shape}], GetModelInfo implies [${expected}]`);
      check(tap.grid_height === tapInfo.grid_height && tap.grid_width === tapInfo.grid_width && tap.channels === tapInfo.channels,
        `tap ${tap.tap} reports grid ${tap.grid_height}x${tap.grid_width}x${tap.channels}, GetModelInfo ${tapInfo.grid_height}x${tapInfo.grid_width}x${tapInfo.channels}`);
      return { tap: tap.tap, expected_shape: expected, ...describeTensor(decoded, options.valuesLimit) };
    });
    const { image, ...echo } = request;
    return { route: `direct ${options.diffusion}`, model_info: info, request: { ...echo, image_bytes: image.length }, settings: response.settings, features };
  } finally {
    diffusion.close();
  }
}

async function ask(services, options) {
  const vqa = connect(services.VisualQuestionAnswering, options.gateway);
  try {
    const request = {
      image: options.image,
      question: options.question,
      options: { sampling: { max_new_tokens: options.maxTokens, temperature: 0 }, bypass_cache: options.bypassCache },
    };
    if (options.guidanceScale !== undefined) request.options.guidance_scale = options.guidanceScale;
    if (options.timestep !== undefined) request.options.timestep = options.timestep;
    if (options.seed !== undefined) request.options.seed = options.seed;
    const { messages, headers } = await serverStream(vqa, 'Ask', request, options.timeoutMs);

    check(messages.length > 0, 'the Ask stream ended without any message');
    const deltas = messages.slice(0, -1);
    const last = messages[messages.length - 1];
    check(deltas.every((m) => m.event === 'delta'), 'a message other than a delta came before the last one');
    check(last.event === 'done', `the last message of the Ask stream is "${last.event}", not "done"`);
    const answer = deltas.map((m) => m.delta.text).join('');
    const completionTokens = deltas.length ? deltas[deltas.length - 1].delta.completion_tokens : 0;
    check(completionTokens === last.done.completion_tokens,
      `the deltas count ${completionTokens} tokens, the result ${last.done.completion_tokens}`);
    return { answer, deltas: deltas.length, headers, result: last.done };
  } finally {
    vqa.close();
  }
}

function describeError(error) {
  if (error instanceof UsageError) return { kind: 'usage', message: error.message };
  if (error instanceof CheckError) return { kind: 'check', message: error.message };
  if (typeof error.code === 'number' && 'details' in error) {
    const grpc = require('@grpc/grpc-js');
    return { kind: 'grpc', code: grpc.status[error.code], details: error.details };
  }
  return { kind: 'error', message: String(error && error.message ? error.message : error) };
}

async function main() {
  let step = 'arguments';
  try {
    const options = parseOptions(process.argv.slice(2));
    step = 'protos';
    const services = loadServices(options.protos);
    step = 'clip';
    const clip = await encodeClip(services, options);
    step = 'diffusion';
    const diffusion = await encodeDiffusion(services, options);
    step = 'ask';
    const answer = await ask(services, options);
    process.stdout.write(JSON.stringify({ ok: true, client: 'node', node: process.version, grpc_js: grpcVersion, clip, diffusion, ask: answer }) + '\n');
    return 0;
  } catch (error) {
    const described = describeError(error);
    process.stdout.write(JSON.stringify({ ok: false, client: 'node', step, error: described }) + '\n');
    process.stderr.write(`node client: ${step} failed: ${JSON.stringify(described)}\n`);
    if (described.kind === 'usage') process.stderr.write(USAGE + '\n');
    return described.kind === 'usage' ? 2 : 1;
  }
}

main().then((code) => { process.exitCode = code; });
