using Microsoft.Extensions.DependencyInjection;
using Mustafar.Serving.Tests.Host;
using Mustafar.Serving.Tests.V1;
using Xunit.Abstractions;
using Mustafar.Testing;
using TorchSharp;

namespace Mustafar.Serving.Tests;

/// <summary>Memory measurements see the whole process, so nothing else may run beside them.</summary>
[CollectionDefinition(nameof(MemoryCollection), DisableParallelization = true)]
public sealed class MemoryCollection;

[Collection(nameof(MemoryCollection))]
public class MemoryTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task Memory_stays_flat_over_hundreds_of_batched_and_streamed_requests()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string>
        {
            ["Batching:MaxBatchSize"] = "8",
            ["Batching:MaxBatchDelayMs"] = "1",
        });
        var thread = host.App.Services.GetRequiredService<ModelRuntime<TinyMlp>>().Thread;

        await RunAsync(host, transforms: 80, streams: 10); // warm: connections, JIT, pools, allocator arenas
        var measured = await MemoryProbe.AcrossAsync(async () => new TensorCounts(torch.Tensor.TotalCount,
            await thread.RunAsync(() => DisposeScopeManager.Statistics.ThreadTotalLiveCount)), () => RunAsync(host, transforms: 320, streams: 40));
        output.WriteLine(measured.ToString());
        var growth = measured.Growth;

        // Every tensor a request created on the inference thread was disposed there.
        Assert.Equal(0, growth.InferenceThreadLiveTensors);
        Assert.Equal(0, growth.LiveTensors);
        Assert.True(growth.ManagedBytes < 16 * MiB, $"managed heap grew by {growth.ManagedBytes} bytes");
        if (growth.NativeHeapBytes is { } native) Assert.True(native < 32 * MiB, $"native heap grew by {native} bytes");
    }

    private static async Task RunAsync(TestHost host, int transforms, int streams)
    {
        var counter = 0;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref counter) <= transforms)
                await host.TransformAsync([counter, 1, 2, 3]);
        }));
        var generations = Enumerable.Range(0, streams).Select(i => Task.Run(async () =>
        {
            using var call = host.Client.Count(new CountRequest { Start = i, Length = 8 }, deadline: DateTime.UtcNow + TestHost.Patience);
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
        }));
        await Task.WhenAll(workers.Concat(generations)).WaitAsync(TestHost.Patience);
    }
}
