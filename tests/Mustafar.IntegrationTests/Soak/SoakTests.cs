using System.Globalization;
using System.Text;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Load.Engine;
using Mustafar.Load.Scenario;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Soak;

/// <summary>
/// Many questions through the whole mesh over HTTP (JSON and SSE; half about repeated images, so cache hits and
/// misses mix) while the resident memory (VmRSS) and open file descriptors of every service process are sampled
/// from /proc. The load must have zero errors, memory must stop growing once warm, and no descriptor may leak.
/// CI runs 1,000 requests (about 25 s on two cores); the long form (10,000) runs with
/// <c>deploy/scripts/test.sh --long</c>.
/// </summary>
[Collection(StandardMeshCollection.Name)]
public sealed class SoakTests(MeshFixture fixture, ITestOutputHelper output)
{
    private LocalMesh Mesh => fixture.Mesh;

    [Fact]
    public Task A_soak_of_1000_requests_leaks_neither_memory_nor_descriptors() => SoakAsync(1000);

    [Fact]
    [Trait("Category", "Long")]
    public Task A_soak_of_10000_requests_leaks_neither_memory_nor_descriptors() => SoakAsync(10_000);

    private async Task SoakAsync(int requests)
    {
        var scenario = Mesh.Scenario() with
        {
            Mix = RequestMix.Parse("chat=1,chat-stream=1"),
            Concurrency = 4,
            RepeatShare = 0.5,
            RepeatedImages = 8,
            Duration = TimeSpan.Zero,
        };
        var processes = Mesh.Processes.ToDictionary(p => p.Name, p => p.ProcessId ?? throw new InvalidOperationException($"{p.Name} is not running"));
        var modelServices = Mesh.Processes.Where(p => p != Mesh.Gateway).ToList();

        // Warm-up: thread pools, JIT, connection pools, allocator arenas and caches reach their working size first.
        var warmup = await MeshLoad.RunAsync(scenario with { Requests = Math.Clamp(requests / 4, 50, 250), Seed = 7 }, TimeSpan.FromMinutes(10));
        Assert.Equal(0, warmup.Errors);

        var tensorsBefore = await LiveTensorsAsync(modelServices);
        var samples = new List<(int Completed, Dictionary<string, ProcessResources> Resources)> { (0, Sample(processes)) };
        var run = LoadRun.Start(scenario with { Requests = requests, Seed = 8 });
        var every = requests / 10;
        while (!run.Completion.IsCompleted)
        {
            if (run.CompletedCount >= samples[^1].Completed + every) samples.Add((run.CompletedCount, Sample(processes)));
            await Task.WhenAny(run.Completion, Task.Delay(100));
        }
        var report = await run.Completion.WaitAsync(TimeSpan.FromMinutes(30));
        samples.Add((requests, Sample(processes)));
        var tensorsAfter = await LiveTensorsAsync(modelServices);

        output.WriteLine($"{requests} requests after a {warmup.Records.Count}-request warm-up: {report.All.Succeeded} ok, {report.Errors} errors, " +
            $"{report.All.Throughput:0.00} ok/s, p50 {report.All.Latency?.P50:0} ms, p99 {report.All.Latency?.P99:0} ms; {report.All.Cache}");
        output.WriteLine(Table(samples, processes.Keys));
        output.WriteLine("live TorchSharp tensors before / after: " + string.Join(", ", modelServices.Select(p => $"{p.Name} {tensorsBefore[p.Name]} / {tensorsAfter[p.Name]}")));
        Assert.True(report.Errors == 0, string.Join('\n', report.Records.Where(r => !r.Succeeded).Select(r => $"#{r.Index} {r.Outcome}: {r.Message}")) + "\n" + Mesh.Logs);
        Assert.Equal(requests, report.Records.Count);

        foreach (var service in modelServices)
            Assert.True(tensorsAfter[service.Name] - tensorsBefore[service.Name] <= TensorSlack,
                $"{service.Name}: {tensorsBefore[service.Name]} live tensors before {requests} requests, {tensorsAfter[service.Name]} after (slack {TensorSlack}): a forward path leaks tensors");

        var mid = samples.MinBy(s => Math.Abs(s.Completed - requests / 2));
        foreach (var name in processes.Keys)
        {
            var (start, middle, end) = (samples[0].Resources[name], mid.Resources[name], samples[^1].Resources[name]);
            var firstHalf = middle.RssMiB - start.RssMiB;
            var secondHalf = end.RssMiB - middle.RssMiB;
            Assert.True(secondHalf <= Math.Max(SecondHalfSlackMiB, firstHalf),
                $"{name}: RSS grew {secondHalf:0.0} MiB in the second half after {firstHalf:0.0} MiB in the first: still growing (a leak?)\n{Table(samples, processes.Keys)}");
            Assert.True(end.RssMiB - start.RssMiB <= GrowthBoundMiB,
                $"{name}: RSS grew {end.RssMiB - start.RssMiB:0.0} MiB over {requests} warm requests (bound {GrowthBoundMiB} MiB)\n{Table(samples, processes.Keys)}");
            Assert.True(end.OpenFiles - start.OpenFiles <= FdSlack,
                $"{name}: open files went from {start.OpenFiles} to {end.OpenFiles} (slack {FdSlack})\n{Table(samples, processes.Keys)}");
        }
    }

    // The bounds, from what the soak measured on the 2-core CI-sized machine (after warm-up, every process's RSS
    // moved by at most ~20 MiB over 200 or 1,000 requests, in both directions; no process opened more than 5 more
    // descriptors; every model service's live tensor count was exactly what it was before) and from what a leak
    // would cost:
    // - RSS may grow at most 64 MiB over the run, and in its second half no more than it did in its first (plus 32 MiB
    //   of allocator noise). A leak of 64 KiB per request (the 1,000-request form) fails; the demo models are tiny,
    //   so smaller native leaks are left to the live-tensor count below.
    private const double SecondHalfSlackMiB = 32;
    private const double GrowthBoundMiB = 64;
    // - Descriptors: 16 for connection pools and libraries opening files lazily; a leak of one per request shows as
    //   hundreds.
    private const int FdSlack = 16;
    // - Live TorchSharp tensors, counted by each model service itself when its /metrics is read: a forward path that
    //   keeps one tensor per request adds 1,000. The slack covers a tensor that only waits for the finalizer.
    private const int TensorSlack = 8;

    private static async Task<Dictionary<string, double>> LiveTensorsAsync(IEnumerable<ServiceProcess> services)
    {
        var counts = new Dictionary<string, double>();
        foreach (var service in services)
            counts[service.Name] = await ServiceMetrics.SumAsync(service.HttpAddress, "mustafar_torch_live_tensors");
        return counts;
    }

    private static Dictionary<string, ProcessResources> Sample(Dictionary<string, int> processes) =>
        processes.ToDictionary(p => p.Key, p => ProcessResources.Of(p.Value));

    private static string Table(List<(int Completed, Dictionary<string, ProcessResources> Resources)> samples, IEnumerable<string> names)
    {
        var text = new StringBuilder();
        var columns = names.ToList();
        text.AppendLine("requests  " + string.Join("  ", columns.Select(n => $"{n + " RSS MiB",24}{"fds",6}")));
        foreach (var (completed, resources) in samples)
        {
            text.Append(CultureInfo.InvariantCulture, $"{completed,8}  ");
            text.AppendLine(string.Join("  ", columns.Select(n => string.Create(CultureInfo.InvariantCulture, $"{resources[n].RssMiB,24:0.0}{resources[n].OpenFiles,6}"))));
        }
        return text.ToString();
    }
}
