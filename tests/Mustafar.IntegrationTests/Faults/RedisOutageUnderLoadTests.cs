using Mustafar.IntegrationTests.Mesh;
using Mustafar.Load.Engine;
using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Faults;

/// <summary>Redis is killed while the load tool keeps questions coming (HTTP, SSE, gRPC; half on repeated images, so
/// the cache is in use) and started again later. No request may fail: the cache is an accelerator, never a
/// dependency. The gateway counts the cache errors meanwhile, and once Redis is back answers report hits again.</summary>
public sealed class RedisOutageUnderLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Stopping_redis_under_load_fails_no_request_counts_cache_errors_and_caching_resumes_after_it_restarts()
    {
        await using var mesh = await LocalMesh.StartAsync();
        var run = LoadRun.Start(mesh.Scenario() with
        {
            Mix = RequestMix.Parse("chat=1,chat-stream=1,ask=1"),
            Concurrency = 4,
            RepeatShare = 0.5,
            RepeatedImages = 2,
            Duration = TimeSpan.FromMinutes(4), // an upper bound: the test stops sending itself
        });
        try
        {
            // The cache works under load first.
            await Bounded.UntilAsync(() => Task.FromResult(run.CompletedRecords().Any(r => IsHit(r.Cache))),
                "a cache hit under load", TimeSpan.FromMinutes(2));
            var errorsBefore = await CacheErrorsAsync(mesh);

            var stoppedAt = run.Elapsed;
            // The outage the assertions read: from a moment after the kill (so that no request joined a lookup begun
            // before it) until the restart. Wait until enough requests lie wholly inside it, not merely after the
            // kill: answered without the cache they are quick, and ten of them can end within that first moment.
            var outageStarts = stoppedAt + TimeSpan.FromMilliseconds(500);
            await mesh.Redis.StopAsync();
            await Bounded.UntilAsync(() => Task.FromResult(run.CompletedRecords().Count(r => r.Started >= outageStarts) >= 10),
                "ten requests started and ended while Redis is down", TimeSpan.FromMinutes(2));
            var errorsDuring = await CacheErrorsAsync(mesh);

            var restartedAt = run.Elapsed;
            await mesh.Redis.StartAsync();
            // Redis restarts empty: a repeated image's first question stores its features, a later one hits them.
            await Bounded.UntilAsync(() => Task.FromResult(run.CompletedRecords().Any(r => r.Started >= restartedAt && IsHit(r.Cache))),
                "a cache hit after Redis restarted (the gateway reconnects by itself)", TimeSpan.FromMinutes(2));
            run.StopSending();
            var report = await run.Completion.WaitAsync(TimeSpan.FromMinutes(2));
            var records = report.Records;

            // Requests wholly inside the outage.
            var outage = records.Where(r => r.Started >= outageStarts && r.Ended < restartedAt).ToList();
            output.WriteLine($"Redis stopped at {stoppedAt.TotalSeconds:0.00} s, restarted at {restartedAt.TotalSeconds:0.00} s");
            output.WriteLine($"sent {records.Count}: " + string.Join(", ", records.GroupBy(r => r.Outcome).Select(g => $"{g.Key} {g.Count()}")));
            output.WriteLine($"cache lookups during the outage: {CacheSummary(outage)}; after the restart: {CacheSummary(records.Where(r => r.Started >= restartedAt))}");
            output.WriteLine($"mustafar_gateway_cache_errors_total: {errorsBefore} before, {errorsDuring} during the outage");

            Assert.Empty(records.Where(r => !r.Succeeded).Select(r => $"#{r.Index} {r.Outcome}: {r.Message}"));
            Assert.Equal(Enumerable.Range(0, records.Count).Select(i => (long)i), records.Select(r => r.Index));
            Assert.True(errorsDuring > errorsBefore, $"the cache error metric stayed at {errorsBefore}");
            // Answers during the outage say so: their cache status is "error", never a hit.
            Assert.NotEmpty(outage);
            Assert.All(outage, r => Assert.DoesNotContain("hit", r.Cache!.All));
            Assert.Contains(outage, r => r.Cache!.All.Contains("error"));
        }
        finally
        {
            run.StopSending();
        }
    }

    private static bool IsHit(CacheStatuses? cache) => cache is not null && cache.All.Contains("hit");

    private static string CacheSummary(IEnumerable<RequestRecord> records) =>
        string.Join(", ", records.SelectMany(r => r.Cache?.All ?? []).GroupBy(s => s).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));

    private static Task<double> CacheErrorsAsync(LocalMesh mesh) =>
        ServiceMetrics.SumAsync(mesh.GatewayHttp, "mustafar_gateway_cache_errors_total");
}
