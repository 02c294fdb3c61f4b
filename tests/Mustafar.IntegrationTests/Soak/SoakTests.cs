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
/// The long form (1,000 requests) runs with <c>deploy/scripts/test.sh --long</c>; CI runs the short form.
/// </summary>
[Collection(StandardMeshCollection.Name)]
public sealed class SoakTests(MeshFixture fixture, ITestOutputHelper output)
{
    private LocalMesh Mesh => fixture.Mesh;

    [Fact]
    public Task A_short_soak_of_200_requests_leaks_neither_memory_nor_descriptors() => SoakAsync(200);

    [Fact]
    [Trait("Category", "Long")]
    public Task A_soak_of_1000_requests_leaks_neither_memory_nor_descriptors() => SoakAsync(1000);

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

        // Warm-up: thread pools, JIT, connection pools, allocator arenas and caches reach their working size first.
        var warmup = await MeshLoad.RunAsync(scenario with { Requests = Math.Max(50, requests / 4), Seed = 7 }, TimeSpan.FromMinutes(10));
        Assert.Equal(0, warmup.Errors);

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

        output.WriteLine($"{requests} requests after a {warmup.Records.Count}-request warm-up: {report.All.Succeeded} ok, {report.Errors} errors, " +
            $"{report.All.Throughput:0.00} ok/s, p50 {report.All.Latency?.P50:0} ms, p99 {report.All.Latency?.P99:0} ms; {report.All.Cache}");
        output.WriteLine(Table(samples, processes.Keys));
        Assert.True(report.Errors == 0, string.Join('\n', report.Records.Where(r => !r.Succeeded).Select(r => $"#{r.Index} {r.Outcome}: {r.Message}")) + "\n" + Mesh.Logs);
        Assert.Equal(requests, report.Records.Count);

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

    private const double SecondHalfSlackMiB = 1024;
    private const double GrowthBoundMiB = 4096;
    private const int FdSlack = 1000;

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
