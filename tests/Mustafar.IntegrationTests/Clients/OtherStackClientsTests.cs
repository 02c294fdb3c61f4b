using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Contracts.Generation.V1;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Testing;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.IntegrationTests.Clients;

/// <summary>
/// The clients in other stacks (<c>tests/clients/node</c>: @grpc/grpc-js with the .proto files loaded at run time;
/// <c>tests/clients/python</c>: Debian's python3-grpcio and the standard library's HTTP) against a mesh of real
/// processes: the features they decode equal, number by number, what the .NET client receives for the same requests,
/// their shapes match GetModelInfo, and their greedy answers equal the .NET client's.
/// </summary>
public sealed class OtherStackClientsTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private const string Question = "What is next to the mug?";
    private const int MaxTokens = 8;
    // s = 4 needs both diffusion halves (f = f_u + 4 (f_c - f_u)): the guided path end to end.
    private const float GuidanceScale = 4;
    private static readonly DType[] ClipDTypes = [DType.Float32, DType.Float16, DType.Bfloat16];

    private LocalMesh Mesh => fixture.Mesh;

    private static string Authority(Uri address) => $"{address.Host}:{address.Port}";

    private static string WriteImage(byte[] image)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder("client-image"), "image.png");
        File.WriteAllBytes(path, image);
        return path;
    }

    /// <summary>The arguments both clients take alike: the image (as a file), the question and the settings.</summary>
    private static IEnumerable<string> SharedArguments(byte[] image) =>
    [
        "--image", WriteImage(image), "--question", Question, "--max-tokens", MaxTokens.ToString(CultureInfo.InvariantCulture),
        "--guidance-scale", GuidanceScale.ToString(CultureInfo.InvariantCulture), "--values", "all",
        .. ClipDTypes.SelectMany(d => new[] { "--clip-dtype", DecodedTensorAssert.ProtoName(d)["DTYPE_".Length..].ToLowerInvariant() }),
    ];

    [Fact]
    public async Task The_node_client_decodes_the_same_features_and_gets_the_same_answer_as_the_dotnet_client()
    {
        var image = SampleImages.Variant(3100);
        var run = await ExternalClient.NodeAsync(
            ["client.js", "--gateway", Authority(Mesh.GatewayGrpc), "--diffusion", Authority(Mesh.DiffusionGrpc), .. SharedArguments(image)]);
        var result = run.Result();

        var expected = await AssertSameAsDotnetOverGrpcAsync(image, result);
        Assert.Equal(expected.ImageId, result["ask"]!["headers"]!["x-mustafar-image-id"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_python_client_decodes_the_same_features_and_gets_the_same_answer_over_grpc_and_sse()
    {
        var image = SampleImages.Variant(3200);
        var run = await ExternalClient.PythonAsync(
        [
            "client.py", "--gateway-grpc", Authority(Mesh.GatewayGrpc), "--gateway-http", Mesh.GatewayHttp.ToString(),
            "--diffusion", Authority(Mesh.DiffusionGrpc), .. SharedArguments(image),
        ]);
        var result = run.Result();

        var expected = await AssertSameAsDotnetOverGrpcAsync(image, result);
        var http = result["http"]!;
        Assert.Equal(expected.Answer, http["answer"]!.GetValue<string>());
        Assert.Equal(expected.CompletionTokens, http["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(expected.ImageId, http["mustafar"]!["image_id"]!.GetValue<string>());
        Assert.Equal(GuidanceScale, http["mustafar"]!["diffusion"]!["guidance_scale"]!.GetValue<float>());
        Assert.Contains(expected.Model, http["models"]!.AsArray().Select(m => m!.GetValue<string>()));
    }

    /// <summary>What both clients do over gRPC: features equal to the .NET client's and shaped as GetModelInfo says,
    /// and the .NET client's greedy answer from Ask. Returns the .NET answer for the checks that differ.</summary>
    private async Task<(string Answer, int CompletionTokens, string ImageId, string Model)> AssertSameAsDotnetOverGrpcAsync(byte[] image, JsonObject result)
    {
        await AssertClipAsync(image, result["clip"]!);
        await AssertDiffusionAsync(image, result["diffusion"]!);
        var (answer, done) = await AskAsync(image);
        var ask = result["ask"]!;
        Assert.Equal(answer, ask["answer"]!.GetValue<string>());
        Assert.Equal(done.CompletionTokens, ask["result"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(done.ImageId, ask["result"]!["image_id"]!.GetValue<string>());
        return (answer, done.CompletionTokens, done.ImageId, done.Model);
    }

    [Fact]
    public async Task The_clients_own_tensor_decoding_tests_pass()
    {
        var node = await ExternalClient.NodeAsync("--test");
        Assert.True(node.ExitCode == 0, $"node --test failed\n{node.Stdout}\n{node.Stderr}");
        var python = await ExternalClient.PythonAsync("-m", "unittest", "-v", "test_tensors");
        Assert.True(python.ExitCode == 0, $"python unittest failed\n{python.Stdout}\n{python.Stderr}");
    }

    /// <summary>CLIP through the gateway's YARP route: one encoding per dtype, equal to the .NET client's, shaped as
    /// GetModelInfo says.</summary>
    private async Task AssertClipAsync(byte[] image, JsonNode clip)
    {
        var client = new ClipEncoder.ClipEncoderClient(Mesh.Channel(Mesh.GatewayGrpc));
        var info = await client.GetModelInfoAsync(new Contracts.Clip.V1.GetModelInfoRequest());
        Assert.Equal(info.ModelId, clip["model_info"]!["model_id"]!.GetValue<string>());
        Assert.Equal(info.HiddenSize, clip["model_info"]!["hidden_size"]!.GetValue<int>());

        var encodings = clip["encodings"]!.AsArray();
        Assert.Equal(ClipDTypes.Length, encodings.Count);
        for (var i = 0; i < ClipDTypes.Length; i++)
        {
            var expected = await client.EncodeAsync(new Contracts.Clip.V1.EncodeRequest
            {
                Image = ByteString.CopyFrom(image),
                Options = new EncodeOptions { OutputDtype = ClipDTypes[i] },
            });
            var tokens = info.GridHeight * info.GridWidth + (expected.SelectFeature == FeatureSelect.ClsPatch ? 1 : 0);
            Assert.Equal(new long[] { tokens, info.HiddenSize }, expected.Features.Shape);
            DecodedTensorAssert.Equal(expected.Features, encodings[i]!, $"CLIP features as {ClipDTypes[i]}");
        }
    }

    /// <summary>The diffusion service directly, guided with the question as the prompt: the default tap, equal to the
    /// .NET client's, shaped as GetModelInfo's tap says.</summary>
    private async Task AssertDiffusionAsync(byte[] image, JsonNode diffusion)
    {
        var client = new DiffusionEncoder.DiffusionEncoderClient(Mesh.Channel(Mesh.DiffusionGrpc));
        var info = await client.GetModelInfoAsync(new Contracts.Diffusion.V1.GetModelInfoRequest());
        var expected = await client.EncodeAsync(new Contracts.Diffusion.V1.EncodeRequest
        {
            Image = ByteString.CopyFrom(image),
            Prompt = Question,
            GuidanceScale = GuidanceScale,
            Variant = FeatureVariant.Guided,
        });
        Assert.Equal(2, expected.Settings.UnetRows);
        Assert.Equal(info.ModelId, diffusion["model_info"]!["model_id"]!.GetValue<string>());
        Assert.Equal(expected.Settings.PromptSha256, diffusion["settings"]!["prompt_sha256"]!.GetValue<string>());
        Assert.Equal(expected.Settings.UnetRows, diffusion["settings"]!["unet_rows"]!.GetValue<int>());

        var features = diffusion["features"]!.AsArray();
        Assert.Equal(info.DefaultTaps, features.Select(f => f!["tap"]!.GetValue<string>()));
        Assert.Equal(expected.Features.Count, features.Count);
        for (var i = 0; i < features.Count; i++)
        {
            var tap = info.Taps.Single(t => t.Name == expected.Features[i].Tap);
            Assert.Equal(new long[] { tap.GridHeight * tap.GridWidth, tap.Channels }, expected.Features[i].Features.Shape);
            DecodedTensorAssert.Equal(expected.Features[i].Features, features[i]!, $"diffusion tap {tap.Name}");
        }
    }

    /// <summary>The .NET client's greedy answer to the same question (gRPC Ask on the gateway).</summary>
    private async Task<(string Answer, AskResult Done)> AskAsync(byte[] image)
    {
        var vqa = new VisualQuestionAnswering.VisualQuestionAnsweringClient(Mesh.Channel(Mesh.GatewayGrpc));
        using var call = vqa.Ask(new AskRequest
        {
            Image = ByteString.CopyFrom(image),
            Question = Question,
            Options = new AskOptions { GuidanceScale = GuidanceScale, Sampling = new SamplingParams { MaxNewTokens = MaxTokens, Temperature = 0 } },
        });
        var text = new StringBuilder();
        AskResult? done = null;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
            if (message.EventCase == AskResponse.EventOneofCase.Delta) text.Append(message.Delta.Text);
            else done = message.Done;
        Assert.NotNull(done);
        Assert.False(text.Length == 0, "the .NET client got an empty answer");
        return (text.ToString(), done!);
    }
}
