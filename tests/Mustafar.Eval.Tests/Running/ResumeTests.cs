using Mustafar.Eval.Clients;
using Mustafar.Eval.Readers;
using Mustafar.Eval.Running;
using Mustafar.Eval.Tests.Fixtures;
using Mustafar.Eval.Tests.Readers;

namespace Mustafar.Eval.Tests.Running;

public sealed class ResumeTests : IDisposable
{
    private readonly GenericJsonlTests _set = new();
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"mustafar-eval-{Guid.NewGuid():N}.jsonl");

    [Fact]
    public async Task A_finished_run_asks_nothing_again_and_scores_the_logged_answers()
    {
        var benchmark = GenericJsonlReader.Read(new ReaderOptions(_set.WriteFixture()));
        using (var log = ResultLog.Open(_out)) await Runs.WithAnswersById(benchmark, GenericJsonlTests.Answers, log: log);

        var lines = File.ReadAllLines(_out);
        Assert.Equal(4, lines.Length);
        Assert.Contains("\"id\":\"g1\"", lines[0] + lines[1] + lines[2] + lines[3], StringComparison.Ordinal);
        var silent = new CannedAnswers((_, _) => throw new InvalidOperationException("asked again"));
        using (var log = ResultLog.Open(_out))
        {
            var again = await new EvalRunner(2, log).RunAsync(benchmark, "default", silent, new AskSettings(), CancellationToken.None);
            Assert.Equal(0, again.Asked);
            Assert.Equal([true, false, true, false], again.Results.Select(r => r.Correct));
        }
        Assert.Empty(silent.Asked);
    }

    [Fact]
    public async Task An_interrupted_run_asks_only_the_rest_and_a_torn_last_line_is_asked_again()
    {
        var benchmark = GenericJsonlReader.Read(new ReaderOptions(_set.WriteFixture()));
        File.WriteAllText(_out,
            """{"variant":"default","id":"g1","question":"q","answer":"Red.","expected":"red","category":"colour","categories":["colour"],"correct":true}""" + "\n" +
            """{"variant":"other","id":"g2","question":"q","answer":"two","expected":"two","category":"count","categories":["count"],"correct":true}""" + "\n" +
            """{"variant":"default","id":"g2","quest""");
        var client = new CannedAnswers((_, _) => "left");

        using (var log = ResultLog.Open(_out))
        {
            var outcome = await new EvalRunner(1, log).RunAsync(benchmark, "default", client, new AskSettings(), CancellationToken.None);
            Assert.Equal(3, outcome.Asked);
            Assert.Equal([true, false, false, true], outcome.Results.Select(r => r.Correct));
        }
        Assert.Equal(["How many squares are there?", "Is the red square on the left or the right?", "What shape is the blue object?"],
            client.Asked.Select(a => a.Question).Order(StringComparer.Ordinal));
        using (var log = ResultLog.Open(_out)) Assert.Equal(5, log.Count);
    }

    [Fact]
    public async Task A_failed_item_is_reported_left_out_of_the_log_and_asked_again_next_time()
    {
        var benchmark = GenericJsonlReader.Read(new ReaderOptions(_set.WriteFixture()));
        var failing = new CannedAnswers((_, q) => q.StartsWith("How many", StringComparison.Ordinal) ? throw new AnswerException("the gateway answered 400: bad", transient: false) : "red");

        using (var log = ResultLog.Open(_out))
        {
            var outcome = await new EvalRunner(2, log).RunAsync(benchmark, "default", failing, new AskSettings(), CancellationToken.None);
            Assert.Equal("g2", Assert.Single(outcome.Failures).Id);
            Assert.Equal(3, outcome.Results.Count);
        }
        var client = new CannedAnswers((_, _) => "two");
        using (var log = ResultLog.Open(_out))
        {
            var outcome = await new EvalRunner(2, log).RunAsync(benchmark, "default", client, new AskSettings(), CancellationToken.None);
            Assert.Equal(1, outcome.Asked);
            Assert.Empty(outcome.Failures);
        }
        Assert.Equal("How many squares are there?", Assert.Single(client.Asked).Question);
    }

    public void Dispose()
    {
        _set.Dispose();
        File.Delete(_out);
    }
}
