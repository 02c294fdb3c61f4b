#!/usr/bin/python3
"""A Python client of Mustafar Mesh with Debian's python3-grpcio and the standard library, written as an app
developer in another stack would. It loads the repository's .proto files at run time (protos.py) and

  1. reads the CLIP model info and encodes the image THROUGH the gateway's YARP route (the gateway's gRPC port),
     once per requested output dtype;
  2. reads the diffusion model info and encodes the image DIRECTLY on the diffusion service;
  3. asks the question with VisualQuestionAnswering.Ask on the gateway's gRPC port (streamed deltas);
  4. asks it again over the gateway's OpenAI-compatible HTTP API with "stream": true (SSE, http.client).

Every tensor is decoded (float32/float16/bfloat16 little-endian into numbers) and its shape is checked against its
byte length and against GetModelInfo. The result is one JSON document on stdout; any failure prints
{"ok": false, "error": ...} and exits 1 (2 for bad usage).

  /usr/bin/python3 client.py --gateway-grpc 127.0.0.1:8081 --gateway-http http://127.0.0.1:8080 \\
      --diffusion 127.0.0.1:5201 --image deploy/sample/still-life.png --question "What is on the table?"
"""

import argparse
import json
import sys

import http_api
import tensors

# grpcio (and google.protobuf, which it brings) come from Debian's python3-grpcio; a missing one is reported as
# JSON like any other failure rather than as a traceback.
try:
    import grpc
    import protos
    IMPORT_ERROR = None
except ImportError as missing:
    grpc = protos = None
    IMPORT_ERROR = missing


class CheckError(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckError(message)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway-grpc", required=True, help="HOST:PORT of the gateway's gRPC endpoint")
    parser.add_argument("--gateway-http", required=True, help="base URL of the gateway's HTTP API")
    parser.add_argument("--diffusion", required=True, help="HOST:PORT of the diffusion encoder's gRPC endpoint")
    parser.add_argument("--image", required=True, type=argparse.FileType("rb"))
    parser.add_argument("--question", required=True)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--guidance-scale", type=float)
    parser.add_argument("--timestep", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--tap", action="append", default=[])
    parser.add_argument("--clip-dtype", action="append", default=[], choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--diffusion-dtype", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--bypass-cache", action="store_true")
    parser.add_argument("--values", default="16", help="how many decoded values to print per tensor, or 'all'")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per call")
    parser.add_argument("--protos", help="the folder holding mustafar/**/*.proto (default: the repository's)")
    parser.add_argument("--protoc", help="the protoc binary (default: protoc on PATH)")
    args = parser.parse_args(argv)
    if args.values != "all" and not args.values.isdigit():
        parser.error("--values must be a number or 'all'")
    args.image_bytes = args.image.read()
    args.image.close()
    return args


def describe_tensor(tensor, limit):
    name, shape, values = tensors.decode_message(tensor)
    shown = values if limit == "all" else values[:int(limit)]
    return {"dtype": name, "shape": shape, "byte_length": len(tensor.data), "element_count": len(values),
            "values": tensors.json_numbers(shown)}


def dtype_number(loaded, name):
    enum = loaded.pool.FindEnumTypeByName("mustafar.tensor.v1.DType")
    return enum.values_by_name["DTYPE_" + name.upper()].number if name else 0


def encode_clip(loaded, args):
    """The ClipEncoder service through the gateway: YARP routes /mustafar.clip.v1.ClipEncoder/* to the clip pool."""
    with grpc.insecure_channel(args.gateway_grpc, options=protos.CHANNEL_OPTIONS) as channel:
        clip = loaded.stub(channel, "mustafar.clip.v1.ClipEncoder")
        info = clip.GetModelInfo(clip.request("GetModelInfo"), timeout=args.timeout)
        encodings = []
        for dtype in args.clip_dtype or [None]:
            request = clip.request("Encode", image=args.image_bytes)
            request.options.output_dtype = dtype_number(loaded, dtype)
            response = clip.Encode(request, timeout=args.timeout)
            described = describe_tensor(response.features, args.values)
            cls = response.select_feature == 2  # FEATURE_SELECT_CLS_PATCH
            expected = [info.grid_height * info.grid_width + (1 if cls else 0), info.hidden_size]
            check(described["shape"] == expected, f"CLIP features have shape {described['shape']}, GetModelInfo implies {expected}")
            wanted = dtype_number(loaded, dtype) or info.compute_dtype
            check(response.features.dtype == wanted, f"CLIP features came as {described['dtype']} for requested {dtype or 'the compute dtype'}")
            encodings.append({"requested_dtype": "DTYPE_" + dtype.upper() if dtype else "DTYPE_UNSPECIFIED",
                              "model_id": response.model_id, "select_layer": response.select_layer,
                              "expected_shape": expected, **described})
        return {"route": "gateway " + args.gateway_grpc, "model_info": protos.to_dict(info), "encodings": encodings}


def encode_diffusion(loaded, args):
    with grpc.insecure_channel(args.diffusion, options=protos.CHANNEL_OPTIONS) as channel:
        diffusion = loaded.stub(channel, "mustafar.diffusion.v1.DiffusionEncoder")
        info = diffusion.GetModelInfo(diffusion.request("GetModelInfo"), timeout=args.timeout)
        request = diffusion.request("Encode", image=args.image_bytes, prompt=args.question, taps=args.tap,
                                    output_dtype=dtype_number(loaded, args.diffusion_dtype))
        if args.timestep is not None:
            request.timestep = args.timestep
        if args.seed is not None:
            request.seed = args.seed
        if args.guidance_scale is not None:
            request.guidance_scale = args.guidance_scale
        response = diffusion.Encode(request, timeout=args.timeout)

        wanted = list(args.tap) or list(info.default_taps)
        check([f.tap for f in response.features] == wanted, f"asked for taps {wanted}, got {[f.tap for f in response.features]}")
        taps = {t.name: t for t in info.taps}
        features = []
        for tap in response.features:
            check(tap.tap in taps, f"tap {tap.tap} is not among GetModelInfo's taps")
            described = describe_tensor(tap.features, args.values)
            known = taps[tap.tap]
            expected = [known.grid_height * known.grid_width, known.channels]
            check(described["shape"] == expected, f"tap {tap.tap} has shape {described['shape']}, GetModelInfo implies {expected}")
            features.append({"tap": tap.tap, "expected_shape": expected, **described})
        echo = protos.to_dict(request)
        echo.pop("image")
        echo["image_bytes"] = len(args.image_bytes)
        return {"route": "direct " + args.diffusion, "model_info": protos.to_dict(info), "request": echo,
                "settings": protos.to_dict(response.settings), "features": features}


def ask_grpc(loaded, args):
    with grpc.insecure_channel(args.gateway_grpc, options=protos.CHANNEL_OPTIONS) as channel:
        vqa = loaded.stub(channel, "mustafar.vqa.v1.VisualQuestionAnswering")
        request = vqa.request("Ask", image=args.image_bytes, question=args.question)
        request.options.sampling.max_new_tokens = args.max_tokens
        request.options.sampling.temperature = 0
        request.options.bypass_cache = args.bypass_cache
        if args.guidance_scale is not None:
            request.options.guidance_scale = args.guidance_scale
        if args.timestep is not None:
            request.options.timestep = args.timestep
        if args.seed is not None:
            request.options.seed = args.seed
        call = vqa.Ask(request, timeout=args.timeout)
        messages = list(call)
        headers = {key: value for key, value in call.initial_metadata()}
    check(messages, "the Ask stream ended without any message")
    *deltas, last = messages
    check(all(m.WhichOneof("event") == "delta" for m in deltas), "a message other than a delta came before the last one")
    check(last.WhichOneof("event") == "done", "the last message of the Ask stream is not 'done'")
    tokens = deltas[-1].delta.completion_tokens if deltas else 0
    check(tokens == last.done.completion_tokens, f"the deltas count {tokens} tokens, the result {last.done.completion_tokens}")
    return {"answer": "".join(m.delta.text for m in deltas), "deltas": len(deltas), "headers": headers,
            "result": protos.to_dict(last.done)}


def ask_http(args):
    mustafar = {"bypass_cache": args.bypass_cache}
    if args.guidance_scale is not None:
        mustafar["guidance_scale"] = args.guidance_scale
    if args.timestep is not None:
        mustafar["timestep"] = args.timestep
    if args.seed is not None:
        mustafar["seed"] = args.seed
    body = http_api.chat_body(args.image_bytes, args.question, args.max_tokens, mustafar)
    answer, chunks, last, usage, headers = http_api.stream_chat(args.gateway_http, body, args.timeout)
    check(last is not None and last["choices"][0]["finish_reason"] is not None, "the last chunk has no finish_reason")
    models = http_api.list_models(args.gateway_http, args.timeout)
    return {"answer": answer, "chunks": chunks, "finish_reason": last["choices"][0]["finish_reason"],
            "usage": usage, "mustafar": last.get("mustafar"), "model": last.get("model"),
            "models": [m["id"] for m in models.get("data", [])],
            "headers": {k: v for k, v in headers.items() if k.lower().startswith("x-mustafar")}}


def describe_error(error):
    if grpc is not None and isinstance(error, grpc.RpcError) and hasattr(error, "code"):
        return {"kind": "grpc", "code": error.code().name, "details": error.details()}
    if isinstance(error, http_api.HttpApiError):
        return {"kind": "http", "status": error.status, "body": error.body}
    if isinstance(error, (CheckError, tensors.TensorError)):
        return {"kind": "check", "message": str(error)}
    return {"kind": "error", "type": type(error).__name__, "message": str(error)}


def main(argv):
    args = parse_args(argv)  # argparse prints the usage and exits 2 itself
    step = "imports"
    try:
        if IMPORT_ERROR is not None:
            raise RuntimeError(f"{IMPORT_ERROR} with {sys.executable} (Debian: apt-get install python3-grpcio; "
                               "deploy/scripts/bootstrap.sh does it)")
        step = "protos"
        loaded = protos.Protos(args.protos or protos.DEFAULT_PROTO_ROOT, args.protoc)
        result = {"ok": True, "client": "python", "python": sys.version.split()[0], "grpcio": grpc.__version__}
        for step, run in (("clip", lambda: encode_clip(loaded, args)),
                          ("diffusion", lambda: encode_diffusion(loaded, args)),
                          ("ask", lambda: ask_grpc(loaded, args)),
                          ("http", lambda: ask_http(args))):
            result[step] = run()
        print(json.dumps(result, allow_nan=False))
        return 0
    except Exception as error:  # noqa: BLE001 -- every failure becomes one JSON line and exit code 1
        described = describe_error(error)
        print(json.dumps({"ok": False, "client": "python", "step": step, "error": described}, default=str))
        print(f"python client: {step} failed: {json.dumps(described, default=str)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
