using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Gateway.TestServers;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Tests;

/// <summary>Answers through HTTP, SSE and gRPC equal what the generator produces when called directly with the
/// features the encoders produce directly (guided diffusion computed by the encoder itself).</summary>
public sealed class EndToEndTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private TestMesh Mesh => fixture.Mesh;

    /// <summary>The answer with no gateway involved: encoders, then generator, over gRPC.</summary>
    private async Task<string> DirectAnswerAsync(byte[] image, string question, float guidance, int maxTokens)
    {
        using var clipChannel = Grpc.Net.Client.GrpcChannel.ForAddress(Mesh.ClipHosts[0].GrpcAddress);
        using var diffusionChannel = Grpc.Net.Client.GrpcChannel.ForAddress(Mesh.DiffusionHost.GrpcAddress);
        using var generatorChannel = Grpc.Net.Client.GrpcChannel.ForAddress(Mesh.GeneratorHost.GrpcAddress);
        var generator = new Generator.GeneratorClient(generatorChannel);
        var info = await generator.GetModelInfoAsync(new Mustafar.Contracts.Generation.V1.GetModelInfoRequest());
        var clipSpec = info.ExpectedFeatures.Single(f => f.Source == FeatureSource.Clip);
        var diffusionSpec = info.ExpectedFeatures.Single(f => f.Source == FeatureSource.Diffusion);

        var clip = await new ClipEncoder.ClipEncoderClient(clipChannel).EncodeAsync(new Contracts.Clip.V1.EncodeRequest
        {
            Image = Google.Protobuf.ByteString.CopyFrom(image),
            Options = new EncodeOptions { SelectLayer = clipSpec.ClipSelectLayer, SelectFeature = FeatureSelect.Patch, OutputDtype = info.ComputeDtype },
        });
        var diffusionRequest = new Contracts.Diffusion.V1.EncodeRequest
        {
            Image = Google.Protobuf.ByteString.CopyFrom(image),
            Prompt = question,
            GuidanceScale = guidance,
            Variant = FeatureVariant.Guided,
            OutputDtype = info.ComputeDtype,
        };
        diffusionRequest.Taps.Add(diffusionSpec.DiffusionTap);
        var diffusion = await new DiffusionEncoder.DiffusionEncoderClient(diffusionChannel).EncodeAsync(diffusionRequest);

        var generate = new GenerateRequest { FusionMode = info.FusionMode, Sampling = new SamplingParams { MaxNewTokens = maxTokens } };
        generate.Features.Add(new NamedTensor { Name = clipSpec.Name, Tensor = clip.Features });
        generate.Features.Add(new NamedTensor { Name = diffusionSpec.Name, Tensor = diffusion.Features[0].Features });
        generate.Messages.Add(new ChatMessage { Role = Role.User, Content = question });
        var answer = new System.Text.StringBuilder();
        using var call = generator.Generate(generate);
        await foreach (var message in call.ResponseStream.ReadAllAsync())
            if (message.EventCase == GenerateResponse.EventOneofCase.Delta) answer.Append(message.Delta.Text);
        return answer.ToString();
    }

    [Fact]
    public async Task Http_answer_equals_the_generators_answer_from_the_same_features()
    {
        var image = TestImages.Unique();
        var body = ChatApi.Request(TestImages.DataUrl(image), "What is on the mat?", new JsonObject { ["guidance_scale"] = 0.5 });

        var completion = await ChatApi.AskAsync(Mesh.Gateway.Http, body);

        Assert.Equal(await DirectAnswerAsync(image, "What is on the mat?", 0.5f, 6), ChatApi.Answer(completion));
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.Equal("test-llava", completion.GetProperty("model").GetString());
        Assert.Equal("length", completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(6, completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var mustafar = completion.GetProperty("mustafar");
        Assert.Equal(TestFeatureMath.Sha256(image), mustafar.GetProperty("image_id").GetString());
        Assert.Equal("question", mustafar.GetProperty("diffusion").GetProperty("prompt_mode").GetString());
        Assert.Equal(0.5, mustafar.GetProperty("diffusion").GetProperty("guidance_scale").GetDouble());
        Assert.True(mustafar.GetProperty("timings").GetProperty("total_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task Sse_stream_carries_the_same_answer_in_chunks_and_ends_with_the_usage_asked_for_and_done()
    {
        var image = TestImages.Unique();
        var body = ChatApi.Request(TestImages.DataUrl(image), "How many dogs?", new JsonObject { ["guidance_scale"] = 2.0 }, stream: true);
        body["stream_options"] = new JsonObject { ["include_usage"] = true };

        using var response = await ChatApi.PostAsync(Mesh.Gateway.Http, body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("Server-Timing"));
        Assert.Equal(TestFeatureMath.Sha256(image), response.Headers.GetValues("X-Mustafar-Image-Id").Single());
        var events = ChatApi.SseEvents(text);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var streamed = string.Concat(chunks[..^1].Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString()));
        Assert.Equal(await DirectAnswerAsync(image, "How many dogs?", 2f, 6), streamed);

        // As OpenAI documents include_usage: "usage": null in every chunk but the last, which has no choices.
        Assert.All(chunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
        var final = chunks[^2];
        Assert.Equal("length", final.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(final.GetProperty("mustafar").GetProperty("timings").GetProperty("time_to_first_token_ms").GetDouble() > 0);
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(6, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public async Task Sse_stream_without_include_usage_has_no_usage(bool? includeUsage)
    {
        var body = ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "How many dogs?", stream: true);
        if (includeUsage is { } include) body["stream_options"] = new JsonObject { ["include_usage"] = include };

        using var response = await ChatApi.PostAsync(Mesh.Gateway.Http, body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode, text);
        var chunks = ChatApi.SseEvents(text)[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _), c.ToString()));
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Grpc_ask_streams_the_same_answer_and_a_final_result()
    {
        var image = TestImages.Unique();
        var request = new AskRequest
        {
            Image = Google.Protobuf.ByteString.CopyFrom(image),
            Question = "Is the sky blue?",
            Options = new AskOptions { GuidanceScale = 1.5f, Sampling = new SamplingParams { MaxNewTokens = 6 } },
        };

        using var call = Mesh.Gateway.Vqa.Ask(request, deadline: DateTime.UtcNow.AddSeconds(60));
        var headers = await call.ResponseHeadersAsync;
        var deltas = new System.Text.StringBuilder();
        AskResult? done = null;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.EventCase == AskResponse.EventOneofCase.Delta) deltas.Append(message.Delta.Text);
            else done = message.Done;
        }

        Assert.Equal(await DirectAnswerAsync(image, "Is the sky blue?", 1.5f, 6), deltas.ToString());
        Assert.NotNull(done);
        Assert.Equal(Mustafar.Contracts.Generation.V1.FinishReason.Length, done.FinishReason);
        Assert.Equal(6, done.CompletionTokens);
        Assert.Equal(TestFeatureMath.Sha256(image), done.ImageId);
        Assert.Equal(CacheStatus.Miss, done.ClipCache);
        Assert.Equal(PromptMode.Question, done.PromptMode);
        Assert.Equal(50, done.Timestep);
        Assert.Equal(42UL, done.Seed);
        Assert.Equal(TestDiffusionEncoder.DefaultTap, done.DiffusionTap);
        Assert.True(done.Timings.TotalMs > 0);
        Assert.Equal(TestFeatureMath.Sha256(image), headers.GetValue("x-mustafar-image-id"));
    }

    [Fact]
    public async Task Vqa_form_endpoint_answers_in_simple_json()
    {
        var image = TestImages.Unique();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(image), "image", "photo.png" },
            { new StringContent("What is on the mat?"), "question" },
            { new StringContent("6"), "max_tokens" },
            { new StringContent("0.5"), "guidance_scale" },
        };
        using var response = await Mesh.Gateway.Http.PostAsync("/v1/vqa", form);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var answer = JsonDocument.Parse(text).RootElement;
        Assert.Equal(await DirectAnswerAsync(image, "What is on the mat?", 0.5f, 6), answer.GetProperty("answer").GetString());
        Assert.Equal("test-llava", answer.GetProperty("model").GetString());
        Assert.Equal("miss", answer.GetProperty("mustafar").GetProperty("cache").GetProperty("clip").GetString());
    }

    [Fact]
    public async Task Models_health_readiness_and_metrics_endpoints_answer()
    {
        var models = JsonDocument.Parse(await Mesh.Gateway.Http.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("test-llava", models.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal("ok", JsonDocument.Parse(await Mesh.Gateway.Http.GetStringAsync("/healthz")).RootElement.GetProperty("status").GetString());
        var ready = await Eventually.ReturnsAsync(() => Mesh.Gateway.Http.GetAsync("/readyz"), r => r.IsSuccessStatusCode, "gateway ready");
        var readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("connected", readiness.GetProperty("cache").GetString());

        await ChatApi.AskAsync(Mesh.Gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Anything?"));
        var metrics = await Mesh.Gateway.Http.GetStringAsync("/metrics");
        Assert.Contains("mustafar_gateway_cache_lookups_total{feature=\"clip\",result=\"miss\"}", metrics);
        Assert.Contains("mustafar_gateway_requests_total{api=\"http_chat\",outcome=\"ok\"}", metrics);

        var health = new Grpc.Health.V1.Health.HealthClient(Mesh.Gateway.Grpc);
        var status = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, status.Status);
    }

    [Fact]
    public async Task Yarp_routes_reach_the_encoder_pools_through_the_gateway()
    {
        var clip = new ClipEncoder.ClipEncoderClient(Mesh.Gateway.Grpc);
        var info = await clip.GetModelInfoAsync(new Mustafar.Contracts.Clip.V1.GetModelInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal("test-clip", info.ModelId);
        var before = Mesh.ClipEncodeCalls;
        var encoded = await clip.EncodeAsync(new Contracts.Clip.V1.EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.Unique()) });
        Assert.Equal(new long[] { 16, 8 }, encoded.Features.Shape);
        Assert.Equal(before + 1, Mesh.ClipEncodeCalls);
    }

    [Fact]
    public async Task Grpc_reflection_lists_the_vqa_service()
    {
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(Mesh.Gateway.Grpc);
        using var call = reflection.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("mustafar.vqa.v1.VisualQuestionAnswering", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
