'use strict';
// Loads the repository's .proto files at run time (no generated code) and makes gRPC clients from them.

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const DEFAULT_PROTO_ROOT = path.resolve(__dirname, '..', '..', '..', 'protos');

const PROTO_FILES = [
  'mustafar/vqa/v1/vqa.proto',
  'mustafar/clip/v1/clip_encoder.proto',
  'mustafar/diffusion/v1/diffusion_encoder.proto',
  'mustafar/generation/v1/generator.proto',
];

// Feature tensors of real models are several MB; gRPC's default 4 MB receive limit is too small for some.
const CHANNEL_OPTIONS = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
};

function loadServices(protoRoot = DEFAULT_PROTO_ROOT) {
  const definition = protoLoader.loadSync(PROTO_FILES, {
    includeDirs: [protoRoot],
    keepCase: true, // field names as in the .proto files (snake_case)
    longs: String, // uint64 seeds and int64 shapes without precision loss
    enums: String,
    defaults: true,
    oneofs: true, // AskResponse.event says which member is set
  });
  const root = grpc.loadPackageDefinition(definition).mustafar;
  return {
    VisualQuestionAnswering: root.vqa.v1.VisualQuestionAnswering,
    ClipEncoder: root.clip.v1.ClipEncoder,
    DiffusionEncoder: root.diffusion.v1.DiffusionEncoder,
    Generator: root.generation.v1.Generator,
  };
}

function connect(Service, address) {
  return new Service(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

function deadlineAfter(ms) {
  return new Date(Date.now() + ms);
}

/** A unary call as a promise, bounded by a deadline. */
function unary(client, method, request, timeoutMs) {
  return new Promise((resolve, reject) => {
    client[method](request, new grpc.Metadata(), { deadline: deadlineAfter(timeoutMs) }, (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

/** A server-streaming call: every message in order, and the response headers. */
function serverStream(client, method, request, timeoutMs) {
  return new Promise((resolve, reject) => {
    const messages = [];
    let headers = {};
    const call = client[method](request, new grpc.Metadata(), { deadline: deadlineAfter(timeoutMs) });
    call.on('metadata', (metadata) => { headers = metadata.getMap(); });
    call.on('data', (message) => messages.push(message));
    call.on('error', reject);
    call.on('end', () => resolve({ messages, headers }));
  });
}

module.exports = { loadServices, connect, unary, serverStream, DEFAULT_PROTO_ROOT, grpcVersion: require('@grpc/grpc-js/package.json').version };
