using System.Text.Json.Nodes;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Contracts.Generation.V1;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Tensors;
using Mustafar.Contracts.Vqa.V1;
using Google.Protobuf;

namespace Mustafar.IntegrationTests.Gateway;

/// <summary>The gateway against the real model services (separate processes, demo checkpoints), real Redis and
/// real YARP: answers over HTTP, SSE and gRPC equal what the generator produces when fed the encoders' features
/// directly, and the feature cache saves exactly the encoder work it should.</summary>
public sealed class RealServicesEndToEndTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private LocalMesh Mesh => fixture.Mesh;

    /// <summary>Features fetched from the encoders directly, assembled as the gateway would, and generated from.</summary>
    private async Task<string> GenerateDirectlyAsync(byte[] image, string question, float guidanceScale, int maxTokens)
    {
        var generator = new Generator.GeneratorClient(Mesh.Channel(Mesh.GeneratorGrpc));
        var info = await generator.GetModelInfoAsync(new Contracts.Generation.V1.GetModelInfoRequest());
        var request = new GenerateRequest
        {
            FusionMode = info.FusionMode,
            Sampling = new SamplingParams { MaxNewTokens = maxTokens, Temperature = 0 },
            Messages = { new ChatMessage { Role = Role.User, Content = question } },
        };
        foreach (var spec in info.ExpectedFeatures)
        {
            if (spec.Source == FeatureSource.Clip)
            {
                var clip = new ClipEncoder.ClipEncoderClient(Mesh.Channel(Mesh.ClipGrpc[0]));
                var encoded = await clip.EncodeAsync(new Contracts.Clip.V1.EncodeRequest
                {
                    Image = ByteString.CopyFrom(image),
                    Options = new EncodeOptions
                    {
                        SelectLayer = spec.ClipSelectLayer,
                        SelectFeature = spec.ClipKeepCls ? FeatureSelect.ClsPatch : FeatureSelect.Patch,
                        OutputDtype = info.ComputeDtype,
                    },
                });
                request.Features.Add(TensorCodec.Named(spec.Name, encoded.Features));
            }
            else
            {
                // s = 0 is the unconditional half and s = 1 the conditional one: the gateway fetches exactly that one
                // half, so the features are identical bit for bit and the greedy answers must be too.
                var diffusion = new DiffusionEncoder.DiffusionEncoderClient(Mesh.Channel(Mesh.DiffusionGrpc));
                var encoded = await diffusion.EncodeAsync(new Contracts.Diffusion.V1.EncodeRequest
                {
                    Image = ByteString.CopyFrom(image),
                    Prompt = question,
                    Taps = { spec.DiffusionTap },
                    Timestep = spec.HasDiffusionTimestep ? spec.DiffusionTimestep : 50,
                    Variant = guidanceScale == 0 ? FeatureVariant.Unconditional : FeatureVariant.Conditional,
                    OutputDtype = info.ComputeDtype,
                });
                request.Features.Add(TensorCodec.Named(spec.Name, encoded.Features[0].Features));
            }
        }

        var text = new System.Text.StringBuilder();
        using var call = generator.Generate(request);
        await foreach (var message in call.ResponseStream.ReadAllAsync())
            if (message.EventCase == GenerateResponse.EventOneofCase.Delta) text.Append(message.Delta.Text);
        return text.ToString();
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public async Task Http_sse_and_grpc_answers_equal_the_generator_fed_by_the_encoders_directly(float guidanceScale)
    {
        var image = SampleImages.Variant(1000 + (int)guidanceScale);
        const string question = "What colour is the mug?";
        var options = new JsonObject { ["guidance_scale"] = guidanceScale, ["bypass_cache"] = true };
        using var client = new GatewayClient(Mesh.GatewayHttp);

        var expected = await GenerateDirectlyAsync(image, question, guidanceScale, maxTokens: 8);
        var http = await client.ChatAsync(GatewayClient.ChatBody(image, question, stream: false, maxTokens: 8, options.DeepClone().AsObject()));
        var sse = await client.ChatStreamAsync(GatewayClient.ChatBody(image, question, stream: true, maxTokens: 8, options.DeepClone().AsObject()));

        var vqa = new VisualQuestionAnswering.VisualQuestionAnsweringClient(Mesh.Channel(Mesh.GatewayGrpc));
        using var ask = vqa.Ask(new AskRequest
        {
            Image = ByteString.CopyFrom(image),
            Question = question,
            Options = new AskOptions { GuidanceScale = guidanceScale, BypassCache = true, Sampling = new SamplingParams { MaxNewTokens = 8, Temperature = 0 } },
        });
        var grpcText = new System.Text.StringBuilder();
        AskResult? done = null;
        await foreach (var message in ask.ResponseStream.ReadAllAsync())
            if (message.EventCase == AskResponse.EventOneofCase.Delta) grpcText.Append(message.Delta.Text);
            else done = message.Done;

        Assert.False(string.IsNullOrEmpty(expected), "the generator produced no text");
        Assert.Equal(expected, http.Text);
        Assert.Equal(expected, sse.Text);
        Assert.Equal(expected, grpcText.ToString());
        Assert.NotNull(done);
        Assert.Equal(guidanceScale, done!.GuidanceScale);
        Assert.Equal(CacheStatus.Bypass, done.ClipCache);
    }

    [Fact]
    public async Task A_known_image_skips_clip_and_a_new_question_runs_only_the_conditional_diffusion_pass()
    {
        var image = SampleImages.Variant(2000);
        using var client = new GatewayClient(Mesh.GatewayHttp);
        async Task<(double Clip, double Diffusion)> EncodeCallsAsync() => (
            await ServiceMetrics.SumAsync(Mesh.ClipEncoders[0].HttpAddress, "mustafar_requests_total", "/Encode\""),
            await ServiceMetrics.SumAsync(Mesh.DiffusionEncoder.HttpAddress, "mustafar_requests_total", "/Encode\""));
        // s = 4 needs both diffusion halves: f = f_u + 4 (f_c - f_u).
        var options = new JsonObject { ["guidance_scale"] = 4 };

        var before = await EncodeCallsAsync();
        var first = await client.ChatAsync(GatewayClient.ChatBody(image, "What is on the table?", stream: false, mustafar: options.DeepClone().AsObject()));
        var afterFirst = await EncodeCallsAsync();
        var second = await client.ChatAsync(GatewayClient.ChatBody(image, "Is the apple red?", stream: false, mustafar: options.DeepClone().AsObject()));
        var afterSecond = await EncodeCallsAsync();
        var repeat = await client.ChatAsync(GatewayClient.ChatBody(image, "Is the apple red?", stream: false, mustafar: options.DeepClone().AsObject()));
        var afterRepeat = await EncodeCallsAsync();

        // Cold: both diffusion halves from ONE call; then only the conditional pass, from the cached latent.
        Assert.Equal((1, 1), (afterFirst.Clip - before.Clip, afterFirst.Diffusion - before.Diffusion));
        Assert.Equal((0, 1), (afterSecond.Clip - afterFirst.Clip, afterSecond.Diffusion - afterFirst.Diffusion));
        Assert.Equal((0, 0), (afterRepeat.Clip - afterSecond.Clip, afterRepeat.Diffusion - afterSecond.Diffusion));

        Assert.Equal("""{"clip":"miss","diffusion_conditional":"miss","diffusion_unconditional":"miss"}""", first.Body["mustafar"]!["cache"]!.ToJsonString());
        Assert.Equal("""{"clip":"hit","diffusion_conditional":"miss","diffusion_unconditional":"hit"}""", second.Body["mustafar"]!["cache"]!.ToJsonString());
        Assert.Equal("""{"clip":"hit","diffusion_conditional":"hit","diffusion_unconditional":"hit"}""", repeat.Body["mustafar"]!["cache"]!.ToJsonString());
        Assert.Equal(second.Text, repeat.Text);
    }

    [Fact]
    public async Task A_question_longer_than_the_text_encoders_context_is_flagged_as_truncated_on_a_miss_and_on_a_hit()
    {
        var image = SampleImages.Variant(2001);
        using var client = new GatewayClient(Mesh.GatewayHttp);
        var options = new JsonObject { ["guidance_scale"] = 4 };
        // Far past CLIP's 77 tokens (about one token per word here).
        var longQuestion = "Describe " + string.Join(" ", Enumerable.Repeat("the small red cup", 40)) + "?";

        var miss = await client.ChatAsync(GatewayClient.ChatBody(image, longQuestion, stream: false, mustafar: options.DeepClone().AsObject()));
        var hit = await client.ChatAsync(GatewayClient.ChatBody(image, longQuestion, stream: false, mustafar: options.DeepClone().AsObject()));
        var shortOne = await client.ChatAsync(GatewayClient.ChatBody(image, "What is it?", stream: false, mustafar: options.DeepClone().AsObject()));

        Assert.Equal("miss", miss.Body["mustafar"]!["cache"]!["diffusion_conditional"]!.GetValue<string>());
        Assert.Equal("hit", hit.Body["mustafar"]!["cache"]!["diffusion_conditional"]!.GetValue<string>());
        Assert.True(miss.Body["mustafar"]!["diffusion"]!["prompt_truncated"]!.GetValue<bool>());
        Assert.True(hit.Body["mustafar"]!["diffusion"]!["prompt_truncated"]!.GetValue<bool>());
        Assert.False(shortOne.Body["mustafar"]!["diffusion"]!["prompt_truncated"]!.GetValue<bool>());

        var vqa = new VisualQuestionAnswering.VisualQuestionAnsweringClient(Mesh.Channel(Mesh.GatewayGrpc));
        using var call = vqa.Ask(new AskRequest
        {
            Image = ByteString.CopyFrom(image),
            Question = longQuestion,
            Options = new AskOptions { GuidanceScale = 4, Sampling = new SamplingParams { MaxNewTokens = 2, Temperature = 0 } },
        });
        AskResult? done = null;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
            if (message.EventCase == AskResponse.EventOneofCase.Done) done = message.Done;
        Assert.True(done!.DiffusionPromptTruncated);
        Assert.Equal(CacheStatus.Hit, done.DiffusionConditionalCache);
    }

    [Fact]
    public async Task The_encoder_pools_are_reachable_through_the_gateways_yarp_routes()
    {
        var viaGateway = new ClipEncoder.ClipEncoderClient(Mesh.Channel(Mesh.GatewayGrpc));
        var direct = new ClipEncoder.ClipEncoderClient(Mesh.Channel(Mesh.ClipGrpc[0]));
        var request = new Contracts.Clip.V1.EncodeRequest { Image = ByteString.CopyFrom(SampleImages.StillLife) };

        var routed = await viaGateway.EncodeAsync(request);
        var expected = await direct.EncodeAsync(request);

        Assert.Equal(expected.Features, routed.Features);
        Assert.Equal((await direct.GetModelInfoAsync(new Contracts.Clip.V1.GetModelInfoRequest())).ModelId, routed.ModelId);
    }
}
