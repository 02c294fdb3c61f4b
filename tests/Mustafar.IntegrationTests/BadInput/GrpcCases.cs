using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Contracts.Generation.V1;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>
/// Malformed gRPC requests: <c>VisualQuestionAnswering.Ask</c> on the gateway, and each model service called
/// directly. Every error names its field as the message's prefix and in the mustafar-field trailer, in the proto
/// path of the request that was sent ("options.sampling.top_p" for Ask). Decisions they pin down: a size limit is
/// RESOURCE_EXHAUSTED from the gateway (a service reports INVALID_ARGUMENT with the too-large trailer, which the
/// gateway turns into RESOURCE_EXHAUSTED / 413); unknown proto fields are ignored. A message that is not valid
/// protobuf never reaches the service's handler, and is INVALID_ARGUMENT: invalid UTF-8 in a string names that
/// string's field (in any service, since the check is in each host's deserializer); a length past the end names none.
/// </summary>
public static class GrpcCases
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    public static readonly IReadOnlyDictionary<string, Func<IEnumerable<BadInputCase>>> Groups = new Dictionary<string, Func<IEnumerable<BadInputCase>>>
    {
        ["grpc-ask"] = Ask,
        ["grpc-clip"] = Clip,
        ["grpc-diffusion"] = Diffusion,
        ["grpc-generator"] = Generator,
    };

    private static DateTime DeadlineFromNow => DateTime.UtcNow + Deadline;

    private static BadInputCase Ask(string name, Action<AskRequest> change, Outcome expected) => new(name, f =>
    {
        var request = BadInputFixture.GoodAsk();
        change(request);
        return Probes.GrpcAsync(async () =>
        {
            using var call = f.Vqa.Ask(request, deadline: DeadlineFromNow);
            await Probes.ReadToEndAsync(call.ResponseStream);
        });
    }, expected);

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> RawAskMethod = new(MethodType.ServerStreaming, "mustafar.vqa.v1.VisualQuestionAnswering", "Ask", Bytes, Bytes);
    private static readonly Method<byte[], byte[]> RawDiffusionMethod = new(MethodType.Unary, "mustafar.diffusion.v1.DiffusionEncoder", "Encode", Bytes, Bytes);
    private static readonly Method<byte[], byte[]> RawGenerateMethod = new(MethodType.ServerStreaming, "mustafar.generation.v1.Generator", "Generate", Bytes, Bytes);

    /// <summary>A length-delimited field (wire type 2) with a length under 128: its tag, length and bytes.</summary>
    private static byte[] LengthDelimited(int field, params byte[] value) => [(byte)(field << 3 | 2), (byte)value.Length, .. value];

    /// <summary>"W" then a lead byte of a two-byte sequence followed by an ASCII byte: not UTF-8.</summary>
    private static readonly byte[] InvalidUtf8 = [0x57, 0xC3, 0x28];

    /// <summary>An Ask request as bytes: what no generated client would send.</summary>
    private static BadInputCase RawAsk(string name, Func<byte[]> message, Outcome expected) => new(name, f => Probes.GrpcAsync(async () =>
    {
        using var call = f.GatewayInvoker.AsyncServerStreamingCall(RawAskMethod, null, new CallOptions(deadline: DeadlineFromNow), message());
        await Probes.ReadToEndAsync(call.ResponseStream);
    }), expected);

    /// <summary>The good Ask request followed by raw bytes (protobuf lets a field appear again; the last one wins).</summary>
    private static byte[] GoodAskThen(params byte[] tail) => [.. BadInputFixture.GoodAsk().ToByteArray(), .. tail];

    private static IEnumerable<BadInputCase> Ask() =>
    [
        Ask("empty question", r => r.Question = "", Outcome.Grpc(StatusCode.InvalidArgument, "question")),
        Ask("whitespace question", r => r.Question = " \t\n", Outcome.Grpc(StatusCode.InvalidArgument, "question")),
        Ask("empty image", r => r.Image = ByteString.Empty, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Ask("truncated PNG", r => r.Image = ByteString.CopyFrom(MalformedImages.TruncatedPng), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Ask("text, not an image", r => r.Image = ByteString.CopyFrom(MalformedImages.NotAnImage), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Ask("0 x 0 PNG", r => r.Image = ByteString.CopyFrom(MalformedImages.ZeroByZero), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Ask("zip bomb", r => r.Image = ByteString.CopyFrom(MalformedImages.Bomb(100_000, 100_000)), Outcome.Grpc(StatusCode.ResourceExhausted, "image")),
        Ask("30000 x 1 PNG", r => r.Image = ByteString.CopyFrom(MalformedImages.Strip(30_000, 1)), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Ask("20000 x 20 PNG (served)", r => r.Image = ByteString.CopyFrom(MalformedImages.Strip(20_000, 20)), Outcome.GrpcOk),
        Ask("16-bit greyscale PNG (served)", r => r.Image = ByteString.CopyFrom(MalformedImages.SixteenBitGrey()), Outcome.GrpcOk),
        new("bomb over the services' pixel cap", f => Ask("", r => r.Image = ByteString.CopyFrom(f.BombOverServiceCap), Outcome.GrpcOk).Send(f),
            Outcome.Grpc(StatusCode.ResourceExhausted, "image")),
        Ask("a 40 MB message (over the receive limit)", r => r.Image = ByteString.CopyFrom(new byte[40 << 20]), Outcome.Grpc(StatusCode.ResourceExhausted)),
        Ask("guidance_scale NaN", r => r.Options.GuidanceScale = float.NaN, Outcome.Grpc(StatusCode.InvalidArgument, "options.guidance_scale")),
        Ask("guidance_scale -1", r => r.Options.GuidanceScale = -1, Outcome.Grpc(StatusCode.InvalidArgument, "options.guidance_scale")),
        Ask("guidance_scale 10^30", r => r.Options.GuidanceScale = 1e30f, Outcome.Grpc(StatusCode.InvalidArgument, "options.guidance_scale")),
        Ask("timestep -5", r => r.Options.Timestep = -5, Outcome.Grpc(StatusCode.InvalidArgument, "options.timestep")),
        Ask("timestep int.MaxValue", r => r.Options.Timestep = int.MaxValue, Outcome.Grpc(StatusCode.InvalidArgument, "options.timestep")),
        Ask("seed ulong.MaxValue (valid)", r => r.Options.Seed = ulong.MaxValue, Outcome.GrpcOk),
        Ask("unknown model", r => r.Options.Model = "gpt-4o", Outcome.Grpc(StatusCode.NotFound, "options.model")),
        Ask("unknown diffusion tap", r => r.Options.DiffusionTap = "nope", Outcome.Grpc(StatusCode.InvalidArgument, "options.diffusion_tap")),
        Ask("unknown prompt_mode value", r => r.Options.PromptMode = (PromptMode)9, Outcome.Grpc(StatusCode.InvalidArgument, "options.prompt_mode")),
        Ask("custom prompt_mode without a prompt", r => r.Options.PromptMode = PromptMode.Custom, Outcome.Grpc(StatusCode.InvalidArgument, "options.custom_prompt")),
        Ask("top_p 5", r => r.Options.Sampling.TopP = 5, Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.top_p")),
        Ask("temperature NaN", r => r.Options.Sampling.Temperature = float.NaN, Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.temperature")),
        Ask("max_new_tokens 0", r => r.Options.Sampling.MaxNewTokens = 0, Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.max_new_tokens")),
        Ask("max_new_tokens int.MaxValue", r => r.Options.Sampling.MaxNewTokens = int.MaxValue, Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.max_new_tokens")),
        Ask("top_k -1", r => r.Options.Sampling.TopK = -1, Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.top_k")),
        Ask("repetition_penalty +inf", r => r.Options.Sampling.RepetitionPenalty = float.PositiveInfinity, Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.repetition_penalty")),
        Ask("9 stop strings", r => r.Options.Sampling.Stop.Add(Enumerable.Range(0, 9).Select(i => $"s{i}")), Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.stop")),
        Ask("an empty stop string", r => r.Options.Sampling.Stop.Add(""), Outcome.Grpc(StatusCode.InvalidArgument, "options.sampling.stop[0]")),
        Ask("question past the context window", r => r.Question = string.Concat(Enumerable.Repeat("word ", 3000)), Outcome.Grpc(StatusCode.ResourceExhausted, "question")),
        Ask("question of 100000 characters", r => r.Question = new string('x', 100_000), Outcome.Grpc(StatusCode.ResourceExhausted, "question")),
        Ask("NUL, RTL override, zero-width and combining characters", r => r.Question = "What\0is \u202Eelbat\u202C\u200B e\u0301\u0302 👍🏽?", Outcome.GrpcOk),
        RawAsk("an unknown field (ignored)", () => GoodAskThen(0x98, 0x06, 0x01), Outcome.GrpcOk),
        RawAsk("invalid UTF-8 in the question", () => GoodAskThen(LengthDelimited(2, InvalidUtf8)), Outcome.Grpc(StatusCode.InvalidArgument, "question")),
        RawAsk("invalid UTF-8 in options.diffusion_tap", () => GoodAskThen(LengthDelimited(3, LengthDelimited(7, InvalidUtf8))),
            Outcome.Grpc(StatusCode.InvalidArgument, "options.diffusion_tap")),
        RawAsk("a field with a length past the end", () => GoodAskThen(0x12, 0x7F, 0x57), Outcome.Grpc(StatusCode.InvalidArgument)),
    ];

    private static BadInputCase Clip(string name, Action<Contracts.Clip.V1.EncodeRequest> change, Outcome expected) => new(name, f =>
    {
        var request = new Contracts.Clip.V1.EncodeRequest { Image = ByteString.CopyFrom(SampleImages.StillLife), Options = new EncodeOptions() };
        change(request);
        return Probes.GrpcAsync(() => f.Clip.EncodeAsync(request, deadline: DeadlineFromNow).ResponseAsync);
    }, expected);

    private static BadInputCase WideClip(int width, int height, ImageAspect aspect, Outcome expected) =>
        Clip($"{width} x {height} PNG, {aspect}", r => (r.Image, r.Options.Aspect) = (ByteString.CopyFrom(MalformedImages.Strip(width, height)), aspect), expected);

    private static IEnumerable<BadInputCase> Clip() =>
    [
        Clip("empty image", r => r.Image = ByteString.Empty, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Clip("text, not an image", r => r.Image = ByteString.CopyFrom(MalformedImages.NotAnImage), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Clip("truncated PNG", r => r.Image = ByteString.CopyFrom(MalformedImages.TruncatedPng), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Clip("zip bomb", r => r.Image = ByteString.CopyFrom(MalformedImages.Bomb(100_000, 100_000)), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Clip("0 x 0 PNG", r => r.Image = ByteString.CopyFrom(MalformedImages.ZeroByZero), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        // Called directly, the encoder refuses a strip past 1000:1 itself; within it, pad and crop both cost the
        // output only (20000 x 1 padded was a 1.2 GB canvas, 30000 x 1 overflowed, 1000000 x 1 cropped overflowed).
        WideClip(20_000, 1, ImageAspect.Pad, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        WideClip(20_000, 1, ImageAspect.Crop, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        WideClip(30_000, 1, ImageAspect.Pad, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        WideClip(30_000, 1, ImageAspect.Crop, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        WideClip(1_000_000, 1, ImageAspect.Crop, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        WideClip(20_000, 20, ImageAspect.Pad, Outcome.GrpcOk),
        WideClip(20_000, 20, ImageAspect.Crop, Outcome.GrpcOk),
        WideClip(20, 20_000, ImageAspect.Pad, Outcome.GrpcOk),
        Clip("16-bit greyscale PNG (served)", r => r.Image = ByteString.CopyFrom(MalformedImages.SixteenBitGrey()), Outcome.GrpcOk),
        Clip("select_layer 99", r => r.Options.SelectLayer = 99, Outcome.Grpc(StatusCode.InvalidArgument, "options.select_layer")),
        Clip("select_layer int.MinValue", r => r.Options.SelectLayer = int.MinValue, Outcome.Grpc(StatusCode.InvalidArgument, "options.select_layer")),
        Clip("unknown select_feature value", r => r.Options.SelectFeature = (FeatureSelect)7, Outcome.Grpc(StatusCode.InvalidArgument, "options.select_feature")),
        Clip("unknown aspect value", r => r.Options.Aspect = (Contracts.Clip.V1.ImageAspect)9, Outcome.Grpc(StatusCode.InvalidArgument, "options.aspect")),
        Clip("output_dtype INT64", r => r.Options.OutputDtype = DType.Int64, Outcome.Grpc(StatusCode.InvalidArgument, "options.output_dtype")),
        Clip("unknown output_dtype value", r => r.Options.OutputDtype = (DType)99, Outcome.Grpc(StatusCode.InvalidArgument, "options.output_dtype")),
    ];

    private static BadInputCase Diffusion(string name, Action<Contracts.Diffusion.V1.EncodeRequest> change, Outcome expected) => new(name, f =>
    {
        var request = new Contracts.Diffusion.V1.EncodeRequest { Image = ByteString.CopyFrom(SampleImages.StillLife), Prompt = BadInputFixture.Question };
        change(request);
        return Probes.GrpcAsync(() => f.Diffusion.EncodeAsync(request, deadline: DeadlineFromNow).ResponseAsync);
    }, expected);

    private static IEnumerable<BadInputCase> Diffusion() =>
    [
        Diffusion("empty image", r => r.Image = ByteString.Empty, Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Diffusion("zip bomb", r => r.Image = ByteString.CopyFrom(MalformedImages.Bomb(100_000, 100_000)), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Diffusion("30000 x 1 PNG", r => r.Image = ByteString.CopyFrom(MalformedImages.Strip(30_000, 1)), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Diffusion("1 x 1000000 PNG", r => r.Image = ByteString.CopyFrom(MalformedImages.Strip(1, 1_000_000)), Outcome.Grpc(StatusCode.InvalidArgument, "image")),
        Diffusion("20 x 20000 PNG (served)", r => r.Image = ByteString.CopyFrom(MalformedImages.Strip(20, 20_000)), Outcome.GrpcOk),
        Diffusion("16-bit greyscale PNG (served)", r => r.Image = ByteString.CopyFrom(MalformedImages.SixteenBitGrey()), Outcome.GrpcOk),
        Diffusion("timestep -1", r => r.Timestep = -1, Outcome.Grpc(StatusCode.InvalidArgument, "timestep")),
        Diffusion("timestep 1000", r => r.Timestep = 1000, Outcome.Grpc(StatusCode.InvalidArgument, "timestep")),
        Diffusion("seed ulong.MaxValue (valid)", r => r.Seed = ulong.MaxValue, Outcome.GrpcOk),
        Diffusion("guidance_scale -1", r => r.GuidanceScale = -1, Outcome.Grpc(StatusCode.InvalidArgument, "guidance_scale")),
        Diffusion("guidance_scale NaN", r => r.GuidanceScale = float.NaN, Outcome.Grpc(StatusCode.InvalidArgument, "guidance_scale")),
        Diffusion("guidance_scale 10^30", r => r.GuidanceScale = 1e30f, Outcome.Grpc(StatusCode.InvalidArgument, "guidance_scale")),
        Diffusion("unknown tap", r => r.Taps.Add("U-L9-R9-Nope"), Outcome.Grpc(StatusCode.InvalidArgument, "taps")),
        Diffusion("unknown variant value", r => r.Variant = (FeatureVariant)9, Outcome.Grpc(StatusCode.InvalidArgument, "variant")),
        Diffusion("unknown latent_mode value", r => r.LatentMode = (LatentMode)5, Outcome.Grpc(StatusCode.InvalidArgument, "latent_mode")),
        Diffusion("output_dtype BOOL", r => r.OutputDtype = DType.Bool, Outcome.Grpc(StatusCode.InvalidArgument, "output_dtype")),
        Diffusion("conditional variant without a prompt", r => (r.Variant, r.Prompt) = (FeatureVariant.Conditional, ""), Outcome.Grpc(StatusCode.InvalidArgument, "prompt")),
        Diffusion("prompt past the text encoder's 77 tokens", r => r.Prompt = string.Concat(Enumerable.Repeat("cat ", 200)), Outcome.Grpc(StatusCode.InvalidArgument, "prompt")),
        Diffusion("prompt of 40000 characters", r => (r.Prompt, r.TruncatePrompt) = (new string('w', 40_000), true), Outcome.Grpc(StatusCode.InvalidArgument, "prompt")),
        RawDiffusion("invalid UTF-8 in the prompt", LengthDelimited(2, InvalidUtf8), "prompt"),
        RawDiffusion("invalid UTF-8 in a tap name", LengthDelimited(6, InvalidUtf8), "taps[0]"),
    ];

    /// <summary>A good diffusion request followed by <paramref name="tail"/>.</summary>
    private static BadInputCase RawDiffusion(string name, byte[] tail, string field) => new(name, f => Probes.GrpcAsync(async () =>
    {
        var good = new Contracts.Diffusion.V1.EncodeRequest { Image = ByteString.CopyFrom(SampleImages.StillLife), Prompt = BadInputFixture.Question };
        await f.DiffusionInvoker.AsyncUnaryCall(RawDiffusionMethod, null, new CallOptions(deadline: DeadlineFromNow), [.. good.ToByteArray(), .. tail]);
    }), Outcome.Grpc(StatusCode.InvalidArgument, field));

    /// <summary>A good generation followed by <paramref name="tail"/>.</summary>
    private static BadInputCase RawGenerate(string name, byte[] tail, string field) => new(name, f => Probes.GrpcAsync(async () =>
    {
        using var call = f.GeneratorInvoker.AsyncServerStreamingCall(RawGenerateMethod, null, new CallOptions(deadline: DeadlineFromNow),
            [.. GoodGenerate(f.GeneratorInfo).ToByteArray(), .. tail]);
        await Probes.ReadToEndAsync(call.ResponseStream);
    }), Outcome.Grpc(StatusCode.InvalidArgument, field));

    /// <summary>A valid generation: zero features of the expected shapes (float32), one user turn, two tokens.</summary>
    private static GenerateRequest GoodGenerate(Contracts.Generation.V1.ModelInfo info)
    {
        var request = new GenerateRequest
        {
            FusionMode = info.FusionMode,
            Sampling = new SamplingParams { MaxNewTokens = 2, Temperature = 0 },
            Messages = { new ChatMessage { Role = Role.User, Content = BadInputFixture.Question } },
        };
        foreach (var spec in info.ExpectedFeatures)
            request.Features.Add(TensorCodec.Named(spec.Name, TensorCodec.FromFloat32(new float[spec.Tokens * spec.Channels], [spec.Tokens, spec.Channels], DType.Float32)));
        return request;
    }

    /// <summary>A generation changed by <paramref name="change"/>, which gets the first feature's tensor; the
    /// expected field may name that feature ("{0}" is its name).</summary>
    private static BadInputCase Generate(string name, Action<GenerateRequest, Tensor> change, StatusCode status, string? field = null) => new(name, f =>
    {
        var request = GoodGenerate(f.GeneratorInfo);
        change(request, request.Features[0].Tensor);
        return Probes.GrpcAsync(async () =>
        {
            using var call = f.Generator.Generate(request, deadline: DeadlineFromNow);
            await Probes.ReadToEndAsync(call.ResponseStream);
        });
    }, Outcome.Grpc(status, field));

    private static IEnumerable<BadInputCase> Generator()
    {
        // The first expected feature of the demo generator is CLIP's (LocalMesh's cross-attention model).
        const string feature = "features[\"clip\"]";
        return
        [
            Generate("feature bytes shorter than the shape", (_, t) => t.Data = ByteString.CopyFrom(t.Data.Span[..^3]), StatusCode.InvalidArgument, feature + ".data"),
            Generate("feature bytes longer than the shape", (_, t) => t.Data = ByteString.CopyFrom([.. t.Data.ToByteArray(), 0, 0, 0, 0]), StatusCode.InvalidArgument, feature + ".data"),
            Generate("NaN in a feature", (_, t) => t.Data = ByteString.CopyFrom([.. BitConverter.GetBytes(float.NaN), .. t.Data.ToByteArray()[4..]]), StatusCode.InvalidArgument, feature),
            Generate("feature of the wrong shape", (_, t) => (t.Shape[0], t.Shape[1], t.Data) = (3, 5, ByteString.CopyFrom(new byte[60])), StatusCode.InvalidArgument, feature),
            Generate("negative dimension", (_, t) => t.Shape[0] = -1, StatusCode.InvalidArgument, feature + ".shape[0]"),
            Generate("2^40 x 2^40 elements declared", (_, t) => (t.Shape[0], t.Shape[1]) = (1L << 40, 1L << 40), StatusCode.InvalidArgument, feature + ".shape"),
            Generate("INT64 feature", (_, t) => (t.Dtype, t.Data) = (DType.Int64, ByteString.CopyFrom([.. t.Data.ToByteArray(), .. t.Data.ToByteArray()])), StatusCode.InvalidArgument, feature),
            Generate("unspecified dtype", (_, t) => t.Dtype = DType.Unspecified, StatusCode.InvalidArgument, feature + ".dtype"),
            Generate("unknown feature name", (r, _) => r.Features[0].Name = "clipx", StatusCode.InvalidArgument, "features[\"clipx\"]"),
            Generate("the same feature twice", (r, _) => r.Features.Add(r.Features[0].Clone()), StatusCode.InvalidArgument, feature),
            Generate("wrong fusion mode", (r, _) => r.FusionMode = r.FusionMode == Contracts.Generation.V1.FusionMode.ClipOnly ? Contracts.Generation.V1.FusionMode.ConcatTokens : Contracts.Generation.V1.FusionMode.ClipOnly,
                StatusCode.InvalidArgument, "fusion_mode"),
            Generate("unknown fusion mode value", (r, _) => r.FusionMode = (Contracts.Generation.V1.FusionMode)99, StatusCode.InvalidArgument, "fusion_mode"),
            Generate("unspecified role", (r, _) => r.Messages[0].Role = Role.Unspecified, StatusCode.InvalidArgument, "messages[0].role"),
            Generate("no messages", (r, _) => r.Messages.Clear(), StatusCode.InvalidArgument, "messages"),
            Generate("the last turn is the assistant's", (r, _) => r.Messages.Add(new ChatMessage { Role = Role.Assistant, Content = "A table." }), StatusCode.InvalidArgument, "messages"),
            Generate("two image placeholders", (r, _) => r.Messages[0].Content = "<image> and <image>", StatusCode.InvalidArgument, "messages"),
            Generate("conversation past the context window", (r, _) => r.Messages[0].Content = string.Concat(Enumerable.Repeat("word ", 3000)), StatusCode.InvalidArgument, "messages"),
            Generate("temperature 10^9", (r, _) => r.Sampling.Temperature = 1e9f, StatusCode.InvalidArgument, "sampling.temperature"),
            Generate("top_p NaN", (r, _) => r.Sampling.TopP = float.NaN, StatusCode.InvalidArgument, "sampling.top_p"),
            Generate("max_new_tokens -1", (r, _) => r.Sampling.MaxNewTokens = -1, StatusCode.InvalidArgument, "sampling.max_new_tokens"),
            Generate("repetition_penalty 0", (r, _) => r.Sampling.RepetitionPenalty = 0, StatusCode.InvalidArgument, "sampling.repetition_penalty"),
            Generate("float16 features (valid)", (_, t) => (t.Dtype, t.Data) = (DType.Float16, ByteString.CopyFrom(new byte[t.Data.Length / 2])), StatusCode.OK),
            RawGenerate("invalid UTF-8 in a message's content (a second message)", LengthDelimited(2, [0x08, 0x02, .. LengthDelimited(2, InvalidUtf8)]), "messages[1].content"),
            RawGenerate("invalid UTF-8 in the request id", LengthDelimited(5, InvalidUtf8), "request_id"),
        ];
    }
}
