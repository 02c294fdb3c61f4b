using Mustafar.IntegrationTests.Mesh;
using Mustafar.Load.Engine;
using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Load;

/// <summary>The load engine's scheduling and bookkeeping, with a sender that the test controls (no mesh): open
/// loop sends on schedule whatever is in flight and measures from the due time; closed loop never has more than its
/// concurrency in flight; every request ends in exactly one record, whatever the sender does.</summary>
public sealed class LoadEngineTests
{
    private static LoadScenario Scenario() => new()
    {
        Gateway = new Uri("http://127.0.0.1:1"),
        GatewayGrpc = new Uri("http://127.0.0.1:1"),
        Image = SampleImages.StillLifePath,
        Mix = RequestMix.Parse("chat,ask"),
        Duration = TimeSpan.Zero,
    };

    /// <summary>Holds every request until released; counts what it saw.</summary>
    private sealed class GatedSender : IRequestSender
    {
        private readonly SemaphoreSlim _gate = new(0);
        private int _inside;
        private int _maxInside;
        private int _started;

        public int Started => Volatile.Read(ref _started);
        public int MaxInside => Volatile.Read(ref _maxInside);

        public void Release(int count) => _gate.Release(count);

        public async Task<SendResult> SendAsync(RequestPlan plan, Action firstToken, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            var inside = Interlocked.Increment(ref _inside);
            for (var max = _maxInside; inside > max; max = _maxInside) Interlocked.CompareExchange(ref _maxInside, inside, max);
            await _gate.WaitAsync(cancellationToken);
            firstToken();
            Interlocked.Decrement(ref _inside);
            return SendResult.Success(new CacheStatuses(plan.RepeatedImage ? "hit" : "miss", "not_used", "not_used"));
        }
    }

    [Fact]
    public async Task Open_loop_sends_every_request_on_schedule_while_none_has_ended_and_counts_latency_from_the_due_time()
    {
        var sender = new GatedSender();
        var run = LoadRun.Start(Scenario() with { Mode = LoadMode.Open, Rate = 50, Requests = 10 }, sender);

        // Not one request has ended, yet all ten were sent: arrivals do not wait for completions.
        await Eventually.TrueAsync(() => sender.Started == 10, "all ten requests sent");
        Assert.Equal(0, run.CompletedCount);
        Assert.Equal(10, run.InFlight);
        sender.Release(10);
        var report = await run.Completion.WaitAsync(Eventually.Patience);

        Assert.Equal(10, report.Records.Count);
        Assert.All(report.Records, r => Assert.Equal(TimeSpan.FromMilliseconds(20 * r.Index), r.Scheduled));
        // Request 0 was held until request 9 had been sent, and its latency counts from its own slot, not from
        // when it happened to be sent: no coordinated omission.
        var first = report.Records[0];
        Assert.True(first.Latency >= report.Records[9].Started - first.Scheduled);
        Assert.Equal(0, report.Errors);
    }

    [Fact]
    public async Task Closed_loop_keeps_exactly_its_concurrency_in_flight()
    {
        var sender = new GatedSender();
        var run = LoadRun.Start(Scenario() with { Mode = LoadMode.Closed, Concurrency = 3, Requests = 9 }, sender);

        await Eventually.TrueAsync(() => sender.Started == 3, "three requests sent");
        for (var ended = 1; ended <= 6; ended++)
        {
            sender.Release(1); // one ends, so exactly one more may start
            var expected = 3 + ended;
            await Eventually.TrueAsync(() => sender.Started == expected, $"{expected} requests sent");
        }
        sender.Release(3);
        var report = await run.Completion.WaitAsync(Eventually.Patience);

        Assert.Equal(9, report.Records.Count);
        Assert.Equal(3, sender.MaxInside);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), report.Records.Select(r => r.Index));
    }

    /// <summary>Fails request i in the i-th way: transport error, broken stream, hang past the timeout, a bug.</summary>
    private sealed class FailingSender : IRequestSender
    {
        public async Task<SendResult> SendAsync(RequestPlan plan, Action firstToken, CancellationToken cancellationToken) => (plan.Index % 5) switch
        {
            0 => throw new HttpRequestException(HttpRequestError.ConnectionError, "connection refused"),
            1 => throw new IOException("the response ended prematurely"),
            2 => await HangAsync(cancellationToken),
            3 => throw new InvalidOperationException("a bug in a sender"),
            _ => new SendResult("http 503", "the clip pool has no healthy destination", Retryable: true),
        };

        private static async Task<SendResult> HangAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return SendResult.Success();
        }
    }

    [Fact]
    public async Task Every_request_ends_in_exactly_one_record_whatever_fails()
    {
        var report = await LoadRun.Start(Scenario() with { Concurrency = 5, Requests = 10, Timeout = TimeSpan.FromMilliseconds(200) },
            new FailingSender()).Completion.WaitAsync(Eventually.Patience);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), report.Records.Select(r => r.Index));
        Assert.Equal(["client-error", "http 503", "timeout", "transport"], report.All.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(4, report.All.Errors["transport"]);
        Assert.Equal(2, report.All.Errors["timeout"]);
        Assert.All(report.Records, r => Assert.False(string.IsNullOrEmpty(r.Message)));
        Assert.Equal(report.Records.Count(r => r.Outcome == "http 503"), report.Records.Count(r => r.Retryable));
        Assert.Equal(10, report.Errors);
    }

    [Fact]
    public void A_scenario_file_and_command_line_options_read_with_the_same_names_and_the_command_line_wins()
    {
        var file = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "gateway": "http://127.0.0.1:8080", "mix": { "chat": 2, "clip": 1 }, "mode": "open", "rate": 4, "duration": "2m", "repeat-share": 0.25 }""");
        try
        {
            var scenario = ScenarioReader.Read(file, new Dictionary<string, string>
            {
                ["rate"] = "7.5", ["gateway-grpc"] = "http://127.0.0.1:8081", ["timeout"] = "500ms",
            });
            Assert.Equal(LoadMode.Open, scenario.Mode);
            Assert.Equal(7.5, scenario.Rate);
            Assert.Equal(TimeSpan.FromMinutes(2), scenario.Duration);
            Assert.Equal(TimeSpan.FromMilliseconds(500), scenario.Timeout);
            Assert.Equal(0.25, scenario.RepeatShare);
            Assert.Equal("chat=2,clip=1", scenario.Mix.ToString());
            Assert.Empty(scenario.BannedTokens);
            Assert.Equal([2, 32000], ScenarioReader.Read(file, new Dictionary<string, string> { ["banned-tokens"] = "2, 32000", ["gateway-grpc"] = "http://127.0.0.1:8081" }).BannedTokens);

            Assert.Contains("--durration", Assert.Throws<FormatException>(() => ScenarioReader.Read(file, new Dictionary<string, string> { ["durration"] = "1s" })).Message, StringComparison.Ordinal);
            Assert.Contains("--mix: unknown kind 'chatt'", Assert.Throws<FormatException>(() => ScenarioReader.Read(file, new Dictionary<string, string> { ["mix"] = "chatt" })).Message, StringComparison.Ordinal);
            Assert.Contains("--timeout", Assert.Throws<FormatException>(() => ScenarioReader.Read(file, new Dictionary<string, string> { ["timeout"] = "soon" })).Message, StringComparison.Ordinal);
            Assert.Contains("--rate must be a positive number", Assert.Throws<FormatException>(() => ScenarioReader.Read(file, new Dictionary<string, string> { ["rate"] = "0" })).Message, StringComparison.Ordinal);
            Assert.Contains("--banned-tokens", Assert.Throws<FormatException>(() => ScenarioReader.Read(file, new Dictionary<string, string> { ["banned-tokens"] = "2,eos", ["gateway-grpc"] = "http://127.0.0.1:8081" })).Message, StringComparison.Ordinal);
            Assert.Contains("--banned-tokens are token ids", Assert.Throws<FormatException>(() => ScenarioReader.Read(file, new Dictionary<string, string> { ["banned-tokens"] = "-1", ["gateway-grpc"] = "http://127.0.0.1:8081" })).Message, StringComparison.Ordinal);
            Assert.Contains("--gateway-grpc", Assert.Throws<FormatException>(() => ScenarioReader.Read(null, new Dictionary<string, string> { ["mix"] = "ask" })).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Tagged_images_decode_to_the_same_pixels_but_are_new_files_to_the_cache()
    {
        var images = new ImageSet(SampleImages.StillLife, repeatedCount: 2);
        byte[][] files = [images.Repeated(0), images.Repeated(1), images.Fresh(0), images.Fresh(1)];

        Assert.Equal(files.Length, files.Select(f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(f))).Distinct().Count());
        Assert.Equal(images.Repeated(1), new ImageSet(SampleImages.StillLife, repeatedCount: 2).Repeated(1)); // the same in every run
        using var original = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(SampleImages.StillLife);
        foreach (var file in files)
        {
            // A chunk of the wrong length would put the decoder out of step with the chunks after it.
            using var decoded = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(file);
            Assert.Equal((original.Width, original.Height), (decoded.Width, decoded.Height));
            Assert.Equal(original[original.Width / 2, original.Height / 3], decoded[original.Width / 2, original.Height / 3]);
        }
        Assert.Equal(0xCBF43926u, PngVariants.Crc32("123456789"u8)); // the standard CRC-32 check value
    }
}
