using System.Globalization;
using Mustafar.Eval.Clients;
using Mustafar.Eval.Items;
using Mustafar.Eval.Readers;
using Mustafar.Eval.Reporting;
using Mustafar.Eval.Running;

namespace Mustafar.Cli;

/// <summary>`mustafar eval`: asks a benchmark's questions through the gateway under one or more option sets, scores
/// the answers by the benchmark's rule and prints the table (one variant) or the side-by-side comparison.</summary>
public static class EvalCommand
{
    public const string Usage = """
          eval --format FORMAT --data PATH --url GATEWAY [--images DIR] [--api chat|vqa|grpc] [--concurrency N]
               [--out FILE] [--limit N] [--max-tokens N] [--temperature T] [--prompt question|empty|custom]
               [--custom-prompt TEXT] [--guidance S] [--timestep T] [--seed N] [--tap NAME] [--bypass-cache]
               [--subtasks A,B|all] [--split val] [--prompt-suffix TEXT] [--api-key KEY]
               [--compare --variant NAME:key=value,... --variant ... [--bootstrap N] [--bootstrap-seed N]]
                                                             score a benchmark (generic, llava, mmvp, gqa, pope, blink)
                                                             through the gateway; --out FILE resumes an interrupted run
        """;

    public static async Task<int> RunAsync(CommandLine line)
    {
        var format = line.Required("format");
        var benchmark = await ReadAsync(line, format);
        var variants = Variants(line);
        foreach (var note in benchmark.Notes) Console.Error.WriteLine($"mustafar: {note}");
        Console.Error.WriteLine($"mustafar: {benchmark.Name}: {benchmark.Items.Count} items, {variants.Count} variant(s)");

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        using var log = line.Optional("out") is { } path ? ResultLog.Open(path) : null;
        var runner = new EvalRunner(line.Int("concurrency", 4), log, ProgressLine.ForConsole);
        var outcomes = new List<RunOutcome>();
        try
        {
            foreach (var (name, target) in variants)
            {
                using var client = AnswerClients.Create(target);
                var outcome = await runner.RunAsync(benchmark, name, client, target.Settings, cancel.Token);
                Console.Error.WriteLine($"mustafar: [{name}] asked {outcome.Asked}, {benchmark.Items.Count - outcome.Asked} answered already in --out");
                ReportFailures(outcome);
                outcomes.Add(outcome);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine(log is null ? "mustafar: interrupted" : "mustafar: interrupted; run the same command again to resume from --out");
            return 1;
        }

        Console.WriteLine(outcomes.Count == 1
            ? ScoreTable.Render(outcomes[0], benchmark.Scorer)
            : ComparisonTable.Render(outcomes, benchmark.Scorer, line.Int("bootstrap", 2000), line.Int("bootstrap-seed", 0)));
        Console.WriteLine($"rule: {benchmark.Scorer.Rule}");
        return outcomes.Any(o => o.Failures.Count > 0) ? 1 : 0;
    }

    private static async Task<Benchmark> ReadAsync(CommandLine line, string format)
    {
        var options = new ReaderOptions(
            line.Required("data"), line.Optional("images"),
            line.Optional("subtasks")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            line.Optional("split") ?? "val", line.Optional("prompt-suffix")?.Replace("\\n", "\n", StringComparison.Ordinal));
        try
        {
            var benchmark = await BenchmarkFormats.ReadAsync(format, options, CancellationToken.None);
            return line.Optional("limit") is null ? benchmark : benchmark with { Items = benchmark.Items.Take(line.Int("limit", 0)).ToList() };
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The base target from the command line's options, then one per --variant (or the base alone).</summary>
    private static List<(string Name, EvalTarget Target)> Variants(CommandLine line)
    {
        try
        {
            var target = new EvalTarget(new Uri(line.Required("url")), AnswerApi.Chat, new AskSettings(), Environment.GetEnvironmentVariable("MUSTAFAR_API_KEY"));
            foreach (var name in TargetOptions.Names)
                if (line.Flag(name)) target = TargetOptions.Apply(target, name, line.Optional(name) ?? "");
            var specs = line.All("variant");
            if (line.Flag("compare") && specs.Count < 2) throw new UsageException("--compare needs at least two --variant NAME:key=value,...");
            if (specs.Count == 0) return [("default", target)];
            var variants = specs.Select(spec => TargetOptions.ParseVariant(spec, target)).ToList();
            var repeated = variants.GroupBy(v => v.Name).FirstOrDefault(g => g.Count() > 1);
            return repeated is null ? variants : throw new UsageException($"variant name '{repeated.Key}' is used twice");
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException)
        {
            throw new UsageException(e.Message);
        }
    }

    private static void ReportFailures(RunOutcome outcome)
    {
        if (outcome.Failures.Count == 0) return;
        Console.Error.WriteLine($"mustafar: [{outcome.Variant}] {outcome.Failures.Count} item(s) got no answer and are left out of the table (a rerun with the same --out asks them again):");
        foreach (var failure in outcome.Failures.Take(5)) Console.Error.WriteLine($"  {failure.Id}: {failure.Message}");
        if (outcome.Failures.Count > 5) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... and {outcome.Failures.Count - 5} more"));
    }
}
