using Mustafar.Eval.Clients;
using Mustafar.Eval.Readers;
using Mustafar.Eval.Reporting;
using Mustafar.Eval.Running;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Eval;

/// <summary>`mustafar eval` against the real mesh with the demo model, on small generic sets (the README's
/// deploy/sample/eval/still-life.jsonl, and distinct images of the sample for the gRPC variants): every item gets an
/// answer, the JSONL is written, and a resumed run asks the gateway nothing (its request counter does not move). The
/// demo model's weights are random, so no accuracy is asserted: only that the plumbing scores what came back.</summary>
[Collection(StandardMeshCollection.Name)]
public sealed class EvalThroughMeshTests(MeshFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mustafar-eval-mesh-").FullName;

    private LocalMesh Mesh => fixture.Mesh;

    private static readonly (string Question, string Answer, string Category)[] Questions =
    [
        ("What colour is the mug?", "red", "colour"),
        ("How many apples are there?", "two", "count"),
        ("Is the mug on the left or the right?", "left", "position"),
        ("What colour is the table?", "brown", "colour"),
    ];

    private string WriteSet()
    {
        var lines = Questions.Select((q, i) =>
        {
            File.WriteAllBytes(Path.Combine(_folder, $"scene_{i}.png"), SampleImages.Variant(3000 + i));
            return System.Text.Json.JsonSerializer.Serialize(new { id = $"item-{i}", image = $"scene_{i}.png", question = q.Question, answer = q.Answer, category = q.Category });
        });
        var path = Path.Combine(_folder, "set.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private Task<double> ChatRequestsAsync() =>
        ServiceMetrics.SumAsync(Mesh.GatewayHttp, "mustafar_gateway_requests_total", "api=\"http_chat\"");

    [Fact]
    public async Task The_cli_answers_every_item_writes_the_jsonl_and_a_resumed_run_asks_nothing()
    {
        var output = Path.Combine(_folder, "answers.jsonl");
        string[] arguments =
        [
            "eval", "--format", "generic", "--data", Path.Combine(RepoPaths.Root, "deploy", "sample", "eval", "still-life.jsonl"), "--url", Mesh.GatewayHttp.ToString(),
            "--concurrency", "2", "--max-tokens", "4", "--out", output,
        ];

        var first = await ToolProcess.RunAsync(ToolBinaries.Cli, arguments, TimeSpan.FromMinutes(4));

        Assert.True(first.ExitCode == 0, $"exit code {first.ExitCode}\n{first.Output}\n{Mesh.Logs}");
        Assert.Contains("[default] asked 5, 0 answered already", first.Stderr, StringComparison.Ordinal);
        var rows = first.Stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(r => r.Length == 3).ToList();
        Assert.Contains(rows, r => r[0] == "overall" && r[1] == "5");
        Assert.Contains(rows, r => r[0] == "colour" && r[1] == "2");
        var logged = File.ReadAllLines(output).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.Equal(["apple-colour", "apple-count", "mug-colour", "mug-side", "yellow"], logged.Select(l => l["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(logged, l => Assert.NotNull(l["answer"]?.GetValue<string>()));

        var before = await ChatRequestsAsync();
        var resumed = await ToolProcess.RunAsync(ToolBinaries.Cli, arguments, TimeSpan.FromMinutes(2));

        Assert.True(resumed.ExitCode == 0, $"exit code {resumed.ExitCode}\n{resumed.Output}");
        Assert.Contains("[default] asked 0, 5 answered already", resumed.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await ChatRequestsAsync());
        Assert.Equal(5, File.ReadAllLines(output).Length);
        Assert.Equal(first.Stdout, resumed.Stdout);
    }

    [Fact]
    public async Task The_synthetic_held_out_split_is_generated_and_evaluated_per_question_type_through_the_mesh()
    {
        var data = Path.Combine(_folder, "shapes");
        var synth = await ToolProcess.RunAsync(ToolBinaries.Cli,
            ["data", "synth", "--seed", "2", "--count", "10", "--out", data, "--split", "test"], TimeSpan.FromMinutes(2));
        Assert.True(synth.ExitCode == 0, $"exit code {synth.ExitCode}\n{synth.Output}");

        var output = Path.Combine(_folder, "shapes-answers.jsonl");
        var eval = await ToolProcess.RunAsync(ToolBinaries.Cli,
        [
            "eval", "--format", "llava", "--data", Path.Combine(data, "test.json"), "--url", Mesh.GatewayHttp.ToString(),
            "--concurrency", "2", "--max-tokens", "3", "--out", output,
        ], TimeSpan.FromMinutes(4));

        Assert.True(eval.ExitCode == 0, $"exit code {eval.ExitCode}\n{eval.Output}\n{Mesh.Logs}");
        var rows = eval.Stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(r => r.Length == 3).ToList();
        // Question types take turns, so 10 items are 2 of each of the five types.
        foreach (var category in new[] { "colour", "shape", "count", "position", "relation" })
            Assert.Contains(rows, r => r[0] == category && r[1] == "2");
        Assert.Contains(rows, r => r[0] == "overall" && r[1] == "10");
        var logged = File.ReadAllLines(output).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.Equal(10, logged.Count);
        // Each line has the synthetic answer key (a one-word answer of its type), the model's answer and a verdict.
        Assert.All(logged, l =>
        {
            Assert.Matches("^[a-z]+$", l["expected"]!.GetValue<string>());
            Assert.NotNull(l["answer"]!.GetValue<string>());
            Assert.Contains(l["category"]!.GetValue<string>(), new[] { "colour", "shape", "count", "position", "relation" });
            Assert.True(l["correct"]!.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False);
        });
    }

    [Fact]
    public async Task Variants_through_grpc_ask_are_compared_item_by_item()
    {
        var benchmark = GenericJsonlReader.Read(new ReaderOptions(WriteSet()));
        var target = new EvalTarget(Mesh.GatewayGrpc, AnswerApi.Grpc, new AskSettings { MaxTokens = 4 });
        var runner = new EvalRunner(2, log: null);
        var outcomes = new List<RunOutcome>();
        foreach (var (name, settings) in new[] { ("s0", target.Settings with { GuidanceScale = 0 }), ("s1", target.Settings with { GuidanceScale = 1 }) })
        {
            using var client = new GrpcAskClient(target);
            outcomes.Add(await runner.RunAsync(benchmark, name, client, settings, CancellationToken.None));
        }

        Assert.All(outcomes, o => Assert.True(o.Failures.Count == 0, string.Join("\n", o.Failures) + "\n" + Mesh.Logs));
        Assert.All(outcomes, o => Assert.Equal(4, o.Results.Count));
        var table = ComparisonTable.Render(outcomes, benchmark.Scorer, 2000, 0);
        Assert.Contains("s1-s0 [95% CI]", table, StringComparison.Ordinal);
        Assert.Contains(table.Split('\n'), l => l.StartsWith("overall", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
