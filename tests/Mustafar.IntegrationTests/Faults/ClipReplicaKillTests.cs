using Mustafar.IntegrationTests.Mesh;
using Mustafar.Load.Engine;
using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Faults;

/// <summary>One of two CLIP encoder processes is killed (SIGKILL) while the load tool keeps four requests in flight
/// that all need CLIP work (fresh images; questions over HTTP and gRPC, and encoder calls through the gateway's route).
/// Every request sent must end in success or in a clear retryable error, the counts must add up, and once the gateway
/// has taken the dead replica out of its pool no request may fail.</summary>
public sealed class ClipReplicaKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_one_of_two_clip_encoders_under_load_loses_no_request_and_fails_none_after_the_gateway_notices()
    {
        await using var mesh = await LocalMesh.StartAsync(new LocalMeshOptions { ClipReplicas = 2 });
        var run = LoadRun.Start(mesh.Scenario() with
        {
            Mix = RequestMix.Parse("chat=2,ask=1,clip=2"),
            Concurrency = 4,
            RepeatShare = 0, // every request needs a CLIP forward pass
            Duration = TimeSpan.FromMinutes(3), // an upper bound: the test stops sending itself
        });
        try
        {
            // Both replicas are serving under load before one dies.
            var dying = mesh.ClipEncoders[1];
            await Bounded.UntilAsync(async () => run.CompletedCount >= 8
                && await EncodeCallsAsync(mesh.ClipEncoders[0]) > 0 && await EncodeCallsAsync(dying) > 0,
                "both CLIP replicas served requests under load", TimeSpan.FromMinutes(2));

            var killedAt = run.Elapsed;
            await dying.KillAsync();
            var survivorBefore = await EncodeCallsAsync(mesh.ClipEncoders[0]);
            await GatewayReadiness.WaitForAvailableAsync(mesh.GatewayHttp, "clip", expected: 1, TimeSpan.FromSeconds(30));
            var noticedAt = run.Elapsed;

            // The load goes on after the gateway noticed, long enough for a dozen requests to start and end.
            await Bounded.UntilAsync(() => Task.FromResult(run.CompletedRecords().Count(r => r.Started >= noticedAt) >= 12),
                "a dozen requests started after the gateway noticed", TimeSpan.FromMinutes(2));
            run.StopSending();
            var report = await run.Completion.WaitAsync(TimeSpan.FromMinutes(2));
            var records = report.Records;

            output.WriteLine($"killed at {killedAt.TotalSeconds:0.00} s, gateway noticed at {noticedAt.TotalSeconds:0.00} s");
            output.WriteLine($"sent {records.Count}: " + string.Join(", ", records.GroupBy(r => r.Outcome).Select(g => $"{g.Key} {g.Count()}")));
            foreach (var failed in records.Where(r => !r.Succeeded))
                output.WriteLine($"  #{failed.Index} {RequestMix.Name(failed.Kind)} started {failed.Started.TotalSeconds:0.00} s: {failed.Outcome}: {failed.Message}");

            // None lost: one record per request sent, numbered without gaps.
            Assert.Equal(Enumerable.Range(0, records.Count).Select(i => (long)i), records.Select(r => r.Index));
            // Every failure is a clear retryable error with a message, and the counts add up.
            var failures = records.Where(r => !r.Succeeded).ToList();
            Assert.All(failures, r => Assert.True(r.Retryable && !string.IsNullOrWhiteSpace(r.Message), $"#{r.Index} {r.Outcome}: {r.Message}"));
            Assert.Equal(records.Count, records.Count(r => r.Succeeded) + failures.Count(r => r.Retryable));
            // Nothing fails once the gateway knows.
            Assert.Empty(records.Where(r => r.Started >= noticedAt && !r.Succeeded).Select(r => $"#{r.Index} {r.Outcome}: {r.Message}"));
            Assert.Contains(records, r => r.Started >= noticedAt && r.Kind == RequestKind.Clip);
            // The surviving replica did the work after the kill.
            Assert.True(await EncodeCallsAsync(mesh.ClipEncoders[0]) > survivorBefore);
        }
        finally
        {
            run.StopSending();
        }
    }

    private static Task<double> EncodeCallsAsync(ServiceProcess clip) =>
        ServiceMetrics.SumAsync(clip.HttpAddress, "mustafar_requests_total", "/Encode\"", "code=\"OK\"");
}
