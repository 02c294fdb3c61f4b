using System.Globalization;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Train.Data;
using Mustafar.Train.Features;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.IntegrationTests.Train;

/// <summary>`mustafar train --mesh --redis` against a real mesh (encoder services, gateway, Redis, as processes): the
/// features it trains on are the in-process source's, the second run computes nothing (every feature is in Redis),
/// and what training stored is what the gateway reads for the same image and question.</summary>
public sealed class MeshFeatureSourceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Samples = 8;
    /// <summary>The services run the in-process source's encoder facades on the same CPU in float32; what can differ
    /// is batching and float rounding order, far below this (measured: see the test's output).</summary>
    private const float Tolerance = 1e-4f;

    private readonly string _folder = Directory.CreateTempSubdirectory("mustafar-mesh-train-").FullName;
    private LocalMesh? _mesh;

    public async Task InitializeAsync() => _mesh = await LocalMesh.StartAsync();

    public async Task DisposeAsync()
    {
        if (_mesh is not null) await _mesh.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Training_through_the_mesh_gets_the_in_process_features_fills_the_gateways_cache_and_recomputes_nothing()
    {
        var mesh = _mesh!;
        var models = await LocalMesh.DemoModelsAsync(FusionKind.CrossAttention);
        var synth = await ToolProcess.RunAsync(ToolBinaries.Cli,
            ["data", "synth", "--seed", "5", "--split", "train", "--count", Samples.ToString(CultureInfo.InvariantCulture), "--size", "112", "--out", _folder],
            TimeSpan.FromMinutes(2));
        Assert.True(synth.ExitCode == 0, synth.Output);
        var data = Path.Combine(_folder, "train.json");

        async Task<ToolProcess.Result> TrainAsync(string name) => await ToolProcess.RunAsync(ToolBinaries.Cli,
            ["train", "pretrain", "--model", models.Generator, "--data", data, "--out", Path.Combine(_folder, name),
             "--mesh", mesh.GatewayGrpc.ToString(), "--redis", mesh.Redis.Configuration,
             "--epochs", "2", "--batch-size", "4", "--prompt-dropout", "0", "--threads", "1"],
            TimeSpan.FromMinutes(5));

        var before = await EncodeCallsAsync();
        var first = await TrainAsync("first");
        Assert.True(first.ExitCode == 0, $"{first.Output}\n{mesh.Logs}");
        var afterFirst = await EncodeCallsAsync();
        output.WriteLine(first.Output);

        // Every image's CLIP feature and two diffusion halves computed once, by the services, for both epochs.
        var samples = LlavaDatasetReader.Read(data);
        var images = samples.Select(s => Path.Combine(_folder, s.Image!)).ToArray();
        Assert.Equal(images.Distinct().Count(), afterFirst.Clip - before.Clip);
        Assert.True(afterFirst.Diffusion - before.Diffusion > 0);

        // (b) A second run computes nothing: every feature is read from Redis.
        var second = await TrainAsync("second");
        Assert.True(second.ExitCode == 0, $"{second.Output}\n{mesh.Logs}");
        output.WriteLine(second.Output);
        Assert.Equal(afterFirst, await EncodeCallsAsync());
        Assert.Contains("clip 0 computed, diffusion 0 halves computed; Redis", second.Output, StringComparison.Ordinal);
        Assert.Contains("0 misses, 0 writes", second.Output, StringComparison.Ordinal);

        // (a) The mesh's features (now read from the cache the services filled) are the in-process source's.
        using var generator = GeneratorModel.Load(models.Generator);
        var fusion = generator.Fusion!;
        using (var cache = new MeshFeatureCache(mesh.Redis.Configuration))
        using (var fromMesh = new MeshFeatureSource(fusion, mesh.GatewayGrpc, cache, timestep: null, guidanceScale: null))
        using (var inProcess = new InProcessFeatureSource(fusion, models.Clip, models.Diffusion, timestep: null, guidanceScale: null))
        {
            Assert.Equal(inProcess.Settings, fromMesh.Settings);
            float worst = 0;
            for (var i = 0; i < samples.Count; i++)
            {
                using var scope = NewDisposeScope();
                worst = Math.Max(worst, MaxDifference(inProcess.Clip(images[i]), fromMesh.Clip(images[i])));
                worst = Math.Max(worst, MaxDifference(inProcess.Diffusion(images[i], samples[i].Question), fromMesh.Diffusion(images[i], samples[i].Question)));
                worst = Math.Max(worst, MaxDifference(inProcess.Diffusion(images[i], ""), fromMesh.Diffusion(images[i], "")));
            }
            output.WriteLine($"largest |mesh - in-process| over {samples.Count} samples: {worst:G3}; {fromMesh.Describe()}");
            Assert.True(worst <= Tolerance, $"mesh and in-process features differ by {worst}");
            Assert.Contains("clip 0 computed, diffusion 0 halves computed", fromMesh.Describe(), StringComparison.Ordinal);
        }

        // (c) The keys training wrote are the gateway's: a request for a training image and its question hits all three.
        using var client = new GatewayClient(mesh.GatewayHttp);
        var answer = await client.ChatAsync(GatewayClient.ChatBody(File.ReadAllBytes(images[0]), samples[0].Question, stream: false));
        Assert.Equal("""{"clip":"hit","diffusion_conditional":"hit","diffusion_unconditional":"hit"}""", answer.Body["mustafar"]!["cache"]!.ToJsonString());
        Assert.Equal(afterFirst, await EncodeCallsAsync());
    }

    private static float MaxDifference(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var difference = (expected - actual).abs().max();
        return difference.item<float>();
    }

    private async Task<(double Clip, double Diffusion)> EncodeCallsAsync() => (
        await ServiceMetrics.SumAsync(_mesh!.ClipEncoders[0].HttpAddress, "mustafar_requests_total", "/Encode\""),
        await ServiceMetrics.SumAsync(_mesh.DiffusionEncoder.HttpAddress, "mustafar_requests_total", "/Encode\""));
}
