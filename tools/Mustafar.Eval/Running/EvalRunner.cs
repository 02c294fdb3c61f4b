using Mustafar.Eval.Clients;
using Mustafar.Eval.Items;

namespace Mustafar.Eval.Running;

/// <summary>Asks a benchmark's questions through one client, <c>concurrency</c> at a time, scores each answer as it
/// arrives and appends it to the log. Items the log already answers for this variant are not asked again (they are
/// scored again, so a corrected scorer applies to old answers). A failed item is reported and left out of the log,
/// so the next run asks it again; transient failures (429, 503, a dropped connection) are retried first.</summary>
public sealed class EvalRunner(int concurrency, ResultLog? log, Func<string, int, ProgressLine>? progress = null)
{
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    public async Task<RunOutcome> RunAsync(Benchmark benchmark, string variant, IAnswerClient client, AskSettings settings, CancellationToken cancellationToken)
    {
        var answers = new string?[benchmark.Items.Count];
        var pending = new List<int>();
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = log?.AnswerOf(variant, benchmark.Items[i].Id);
            if (answers[i] is null) pending.Add(i);
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<(int Index, ItemFailure Failure)>();
        var line = progress?.Invoke($"{benchmark.Name} [{variant}]", pending.Count);
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var item = benchmark.Items[index];
                try
                {
                    var image = await item.Image.ReadAsync(token);
                    var answer = await AskWithRetriesAsync(client, image, item.Question, settings, token);
                    answers[index] = answer;
                    if (log is not null)
                        await log.AppendAsync(LoggedAnswer.Of(variant, new ItemResult(item, answer, benchmark.Scorer.IsCorrect(item, answer))), token);
                }
                catch (Exception e) when (e is AnswerException or IOException)
                {
                    failures.Add((index, new ItemFailure(item.Id, e.Message)));
                }
                line?.Advance();
            });
        line?.Finish();

        var results = new List<ItemResult>(answers.Length);
        for (var i = 0; i < answers.Length; i++)
            if (answers[i] is { } answer) results.Add(new ItemResult(benchmark.Items[i], answer, benchmark.Scorer.IsCorrect(benchmark.Items[i], answer)));
        return new RunOutcome(variant, results, pending.Count, failures.OrderBy(f => f.Index).Select(f => f.Failure).ToList());
    }

    private static async Task<string> AskWithRetriesAsync(IAnswerClient client, byte[] image, string question, AskSettings settings, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try { return await client.AskAsync(image, question, settings, cancellationToken); }
            catch (AnswerException e) when (e.Transient && attempt < RetryDelays.Length)
            {
                await Task.Delay(RetryDelays[attempt], cancellationToken);
            }
        }
    }
}
