using Google.Protobuf;
using Mustafar.ClipEncoder;
using Mustafar.DiffusionEncoder;
using Mustafar.Generator;
using Mustafar.Models.Clip;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Generation;
using Mustafar.Serving;
using Mustafar.Services.Tests.Clip;
using Mustafar.Services.Tests.Diffusion;
using Mustafar.Services.Tests.Generator;
using Mustafar.Services.Tests.Host;
using Xunit.Abstractions;
using Mustafar.Testing;
using TorchSharp;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Contracts.Generation.V1;

namespace Mustafar.Services.Tests;

/// <summary>Memory measurements see the whole process, so nothing else may run beside them.</summary>
[CollectionDefinition(nameof(MemoryCollection), DisableParallelization = true)]
public sealed class MemoryCollection;

/// <summary>
/// Hundreds of requests through each host, in process: tensors are counted exactly (a tensor that escaped its
/// dispose scope stays counted on the inference thread even after the garbage collector finalized it), heaps
/// against bounds. The bounds leave room for what settles after warm-up (allocator arenas, Kestrel and gRPC
/// buffer pools, JIT), and are far below what leaking one request's buffers would cost over the measured
/// requests: each request carries tens of kilobytes (an encoded image of about 40 KB, its decoded and
/// preprocessed pixels, the features), so keeping them would add well over the bounds.
/// </summary>
[Collection(nameof(MemoryCollection))]
public sealed class MemoryTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;
    private const int Warm = 60;
    private const int Measured = 300;

    [Fact]
    public async Task ClipEncoder_memory_stays_flat_over_three_hundred_requests()
    {
        await using var host = await ServiceHost<ClipEncoderService, ClipVisionEncoder>.StartServingAsync(
            HostCheckpoints.Clip, ClipEncoderService.Loader, ClipHostFixture.Settings(maxBatchSize: 8, maxBatchDelayMs: 1));
        var client = new Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(host.Channel);
        var images = Images();
        await AssertFlatAsync(host.Runtime.Thread, count => RunAsync(count, i =>
            client.EncodeAsync(new Contracts.Clip.V1.EncodeRequest { Image = images[i % images.Length] }, deadline: DateTime.UtcNow + Eventually.Patience).ResponseAsync));
    }

    [Fact]
    public async Task DiffusionEncoder_memory_stays_flat_over_three_hundred_requests()
    {
        await using var host = await ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartServingAsync(
            HostCheckpoints.Diffusion, DiffusionEncoderService.Loader, DiffusionHostFixture.Settings(maxBatchSize: 8, maxBatchDelayMs: 1));
        var client = new Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(host.Channel);
        var images = Images();
        await AssertFlatAsync(host.Runtime.Thread, count => RunAsync(count, i =>
        {
            // Every variant and two timesteps, so that conditional rows, guidance and separate batches all run.
            var request = new DiffusionCase($"question {i % 7}", Timestep: i % 2 == 0 ? 50 : 500, Seed: (ulong)i, Scale: 2,
                Variant: (Mustafar.Contracts.Diffusion.V1.FeatureVariant)(1 + i % 3)).ToProto([]);
            request.Image = images[i % images.Length];
            return client.EncodeAsync(request, deadline: DateTime.UtcNow + Eventually.Patience).ResponseAsync;
        }));
    }

    [Fact]
    public async Task Generator_memory_stays_flat_over_three_hundred_generations()
    {
        await using var host = await ServiceHost<GeneratorService, GeneratorModel>.StartServingAsync(
            HostCheckpoints.Generator, GeneratorService.Loader, GeneratorHostFixture.Settings(maxBatchSize: 8));
        var client = new Contracts.Generation.V1.Generator.GeneratorClient(host.Channel);
        using var direct = GeneratorHostFixture.LoadDirect();
        // Features of about 10 KB per request (the tiny model's shapes), every fourth request text-only.
        var requests = Enumerable.Range(0, 8).Select(i => new Conversation($"Question {i}?", FeatureSeed: i % 4 == 3 ? 0 : 300 + i,
            Sampling: new Mustafar.Contracts.Generation.V1.SamplingParams { MaxNewTokens = 4, Temperature = 0.7f, Seed = (ulong)i }).ToProto(direct)).ToArray();
        await AssertFlatAsync(host.Runtime.Thread, count => RunAsync(count, i => Streamed.ReadAsync(client, requests[i % requests.Length])));
    }

    /// <summary>Noisy PNGs of about 40 KB (under the test hosts' 20 000 pixel cap).</summary>
    private static ByteString[] Images() =>
        Enumerable.Range(0, 8).Select(i => ByteString.CopyFrom(TestImages.GradientPng(120, 110 + i, seed: 50 + i))).ToArray();

    private async Task AssertFlatAsync(InferenceThread thread, Func<int, Task> run)
    {
        await run(Warm);
        var measured = await MemoryProbe.AcrossAsync(async () => new TensorCounts(torch.Tensor.TotalCount,
            await thread.RunAsync(() => DisposeScopeManager.Statistics.ThreadTotalLiveCount)), () => run(Measured));
        output.WriteLine(measured.ToString());
        var growth = measured.Growth;

        Assert.Equal(0, growth.InferenceThreadLiveTensors);
        Assert.Equal(0, growth.LiveTensors);
        Assert.True(growth.ManagedBytes < 16 * MiB, $"managed heap grew by {growth.ManagedBytes} bytes");
        if (growth.NativeHeapBytes is { } native) Assert.True(native < 48 * MiB, $"native heap grew by {native} bytes");
    }

    /// <summary>Eight clients in closed loops until <paramref name="count"/> calls have completed.</summary>
    private static async Task RunAsync(int count, Func<int, Task> call)
    {
        var next = -1;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count) await call(index);
        }));
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(5));
    }
}
