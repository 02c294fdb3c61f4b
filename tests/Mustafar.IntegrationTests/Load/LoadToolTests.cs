using System.Text.Json.Nodes;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Load.Scenario;

namespace Mustafar.IntegrationTests.Load;

/// <summary>The load tool against a local mesh of real processes with the tiny demo models: the CI scenario (a
/// ~20 s closed-loop mix of every kind, run as a process through its command line) and a ~10 s open-loop run in
/// process. Both must end with zero errors, and the counts must agree with what the gateway and the encoders
/// counted themselves.</summary>
[Collection(StandardMeshCollection.Name)]
public sealed class LoadToolTests(MeshFixture fixture)
{
    private LocalMesh Mesh => fixture.Mesh;

    private static readonly string[] Kinds = ["chat", "chat-stream", "ask", "clip", "diffusion"];

    private async Task<Dictionary<string, double>> CountersAsync() => new()
    {
        ["http_chat"] = await ServiceMetrics.SumAsync(Mesh.GatewayHttp, "mustafar_gateway_requests_total", "api=\"http_chat\""),
        ["grpc_ask"] = await ServiceMetrics.SumAsync(Mesh.GatewayHttp, "mustafar_gateway_requests_total", "api=\"grpc_ask\""),
        ["clip"] = await ServiceMetrics.SumAsync(Mesh.ClipEncoders[0].HttpAddress, "mustafar_requests_total", "/Encode\""),
        ["diffusion"] = await ServiceMetrics.SumAsync(Mesh.DiffusionEncoder.HttpAddress, "mustafar_requests_total", "/Encode\""),
    };

    [Fact]
    public async Task The_cli_runs_a_mixed_closed_loop_scenario_against_the_mesh_with_zero_errors()
    {
        var before = await CountersAsync();
        var result = await LoadToolProcess.RunAsync(
        [
            .. Mesh.AddressArguments(),
            "--mix", "chat=2,chat-stream=2,ask=2,clip=1,diffusion=1", "--mode", "closed", "--concurrency", "4",
            "--duration", "20s", "--repeat-share", "0.5", "--repeated-images", "3", "--max-tokens", "8", "--timeout", "90s",
        ], TimeSpan.FromMinutes(4));

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}\n{result.Output}\n{Mesh.Logs}");
        Assert.Contains("errors: none", result.Output, StringComparison.Ordinal);
        var report = result.Report!;
        Assert.Equal(0, report["errors"]!.GetValue<int>());
        var sent = report["sent"]!.GetValue<int>();
        Assert.Equal(sent, report["succeeded"]!.GetValue<int>());

        var kinds = report["kinds"]!.AsArray().ToDictionary(k => k!["name"]!.GetValue<string>(), k => k!);
        Assert.Equal(Kinds, kinds.Keys);
        Assert.Equal(sent, kinds.Values.Sum(k => k["sent"]!.GetValue<int>()));
        foreach (var (name, kind) in kinds)
        {
            Assert.True(kind["succeeded"]!.GetValue<int>() > 0, $"{name}: no successful request in 20 s\n{result.Output}");
            var latency = kind["latency"]!;
            var (p50, p90, p99, max) = (Ms(latency, "p50"), Ms(latency, "p90"), Ms(latency, "p99"), Ms(latency, "max"));
            Assert.True(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, $"{name}: percentiles out of order: {latency.ToJsonString()}");
            // Time to first token exists exactly for the streamed kinds, and comes before the end of the answer.
            var streamed = name is "chat-stream" or "ask";
            Assert.Equal(streamed, kind["time_to_first_token"] is not null);
            if (streamed) Assert.True(Ms(kind["time_to_first_token"]!, "max") <= max, $"{name}: a first token after the end");
        }

        // Repeated images were answered from the cache and fresh ones were not.
        var cache = report["all"]!["cache"]!;
        Assert.True(cache["hits"]!.GetValue<int>() > 0, cache.ToJsonString());
        Assert.True(cache["misses"]!.GetValue<int>() > 0, cache.ToJsonString());
        Assert.Equal(0, cache["errors"]!.GetValue<int>());

        // What the tool says it sent, the mesh received: the gateway counted every chat and ask, the encoders at
        // least every direct call (questions add encoder calls for cache misses).
        int Sent(string kind) => kinds[kind]["sent"]!.GetValue<int>();
        // The gateway counts a request just after its last byte is written: wait (bounded) for the last ones.
        var after = await CountersAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(10); after["http_chat"] - before["http_chat"] < Sent("chat") + Sent("chat-stream")
             || after["grpc_ask"] - before["grpc_ask"] < Sent("ask"); after = await CountersAsync())
        {
            if (DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        Assert.Equal(Sent("chat") + Sent("chat-stream"), after["http_chat"] - before["http_chat"]);
        Assert.Equal(Sent("ask"), after["grpc_ask"] - before["grpc_ask"]);
        Assert.True(after["clip"] - before["clip"] >= Sent("clip"));
        Assert.True(after["diffusion"] - before["diffusion"] >= Sent("diffusion"));
    }

    [Fact]
    public async Task An_open_loop_run_in_process_sends_on_its_schedule_with_zero_errors()
    {
        var scenario = Mesh.Scenario() with
        {
            Mix = RequestMix.Parse("chat=1,chat-stream=1,ask=1"),
            Mode = LoadMode.Open,
            Rate = 2,
            Duration = TimeSpan.FromSeconds(10),
            RepeatShare = 0.5,
        };
        var report = await MeshLoad.RunAsync(scenario, TimeSpan.FromMinutes(3));

        Assert.True(report.Errors == 0, string.Join('\n', report.Records.Where(r => !r.Succeeded).Select(r => $"{r.Outcome}: {r.Message}")));
        // Request i is due at i / rate: 20 requests in 10 s, each scheduled on its slot whatever the others did.
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), report.Records.Select(r => r.Index));
        Assert.All(report.Records, r => Assert.Equal(TimeSpan.FromSeconds(r.Index / 2.0), r.Scheduled));
        Assert.All(report.Records, r => Assert.True(r.Started >= r.Scheduled && r.Ended >= r.Started));
        Assert.True(report.All.Cache.Hits > 0 && report.All.Cache.Misses > 0, $"{report.All.Cache}");
    }

    private static double Ms(JsonNode percentiles, string name) => percentiles[name]!.GetValue<double>();
}
