using Mustafar.IntegrationTests.Mesh;
using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;
using Mustafar.Models.Generation;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.Faults;

/// <summary>The generator process dies (SIGKILL) and, on its second life, is stopped (SIGTERM with no drain time)
/// while answers stream over SSE and gRPC. Every stream in flight must end with a clear error,
/// never a truncated answer that looks complete; once the generator is back and the gateway sees it ready, new
/// questions succeed.</summary>
public sealed class GeneratorRestartTests(ITestOutputHelper output)
{
    /// <summary>Long enough that no answer can finish between its first token and the fault (the demo model allows
    /// 512 new tokens, and its context holds the prompt and these). Its end-of-sequence ids are banned, so that every
    /// answer runs this long: a random-weight model otherwise ends some answers early, on some CPUs only.</summary>
    private const int LongAnswer = 350;

    [Fact]
    public async Task Streams_in_flight_when_the_generator_dies_or_stops_end_with_a_clear_error_and_new_questions_succeed_when_it_is_back()
    {
        await using var mesh = await LocalMesh.StartAsync(new LocalMeshOptions
        {
            // On SIGTERM in-flight calls fail at once with UNAVAILABLE. Any drain time at all is a race: the tiny
            // demo model decodes a whole 350-token answer in well under a second, so a 1 s drain let answers finish.
            ServiceEnvironment = new Dictionary<string, string> { ["MUSTAFAR__Server__DrainTimeoutSeconds"] = "0" },
        });
        var eos = GenerationDefaults.Load(mesh.Models.Generator, LongAnswer).EosIds
            ?? throw new InvalidDataException($"{mesh.Models.Generator} names no eos_token_id");
        using var longAnswers = new MeshSender(mesh.Scenario() with { MaxTokens = LongAnswer, BannedTokens = eos });

        foreach (var graceful in new[] { false, true })
        {
            var fault = graceful ? "SIGTERM" : "SIGKILL";
            var streams = Enumerable.Range(0, 4).Select(i => WatchedStream.Start(longAnswers,
                i % 2 == 0 ? RequestKind.ChatStream : RequestKind.Ask, SampleImages.Variant(3000 + i + (graceful ? 10 : 0)), "Describe everything.")).ToList();
            await Task.WhenAll(streams.Select(s => s.FirstDelta)).WaitAsync(TimeSpan.FromMinutes(2));
            var finishedEarly = streams.Where(s => s.End.IsCompleted).Select(s => s.End.Result).ToList();
            Assert.True(finishedEarly.Count == 0, $"streams ended before the fault: {string.Join("; ", finishedEarly)}");

            if (graceful) await mesh.Generator.StopAsync(TimeSpan.FromSeconds(30));
            else await mesh.Generator.KillAsync();
            var ends = await Task.WhenAll(streams.Select(s => s.End)).WaitAsync(TimeSpan.FromMinutes(1));
            foreach (var (stream, end) in streams.Zip(ends)) output.WriteLine($"{fault}: {RequestMix.Name(stream.Kind)} ended with {end.Outcome}: {end.Message}");
            Assert.All(ends, end => Assert.True(WatchedStream.IsClearError(end), $"{fault}: {end.Outcome}: {end.Message}"));
            // ... which says that the answer is incomplete.
            Assert.All(ends, end => Assert.Contains("the answer, which is incomplete", end.Message, StringComparison.Ordinal));

            mesh.Generator.Start();
            await mesh.Generator.WaitReadyAsync(TimeSpan.FromMinutes(3));
            await GatewayReadiness.WaitForAvailableAsync(mesh.GatewayHttp, "generator", expected: 1, TimeSpan.FromMinutes(1));
            var after = await MeshLoad.RunAsync(mesh.Scenario() with
            {
                Mix = RequestMix.Parse("chat=1,chat-stream=1,ask=1"),
                Requests = 6,
                Concurrency = 2,
                Duration = TimeSpan.Zero,
            }, TimeSpan.FromMinutes(2));
            output.WriteLine($"{fault}: after the restart {after.Records.Count} questions: " + string.Join(", ", after.Records.GroupBy(r => r.Outcome).Select(g => $"{g.Key} {g.Count()}")));
            Assert.Empty(after.Records.Where(r => !r.Succeeded).Select(r => $"{r.Outcome}: {r.Message}"));
        }
    }
}
