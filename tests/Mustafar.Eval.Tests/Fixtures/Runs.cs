using Mustafar.Eval.Clients;
using Mustafar.Eval.Items;
using Mustafar.Eval.Running;

namespace Mustafar.Eval.Tests.Fixtures;

/// <summary>Runs a benchmark against canned answers the way `mustafar eval` runs it against the gateway.</summary>
public static class Runs
{
    /// <summary>Answers each item with the canned answer for its id ("" for ids not given). An item is recognised by
    /// its image and question together, as MMVP's pairs share the question and POPE's questions share images.</summary>
    public static async Task<RunOutcome> WithAnswersById(Benchmark benchmark, IReadOnlyDictionary<string, string> byId, string variant = "default",
        ResultLog? log = null, CannedAnswers? client = null)
    {
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in benchmark.Items)
            byKey[await KeyAsync(item)] = byId.GetValueOrDefault(item.Id, "");
        client ??= new CannedAnswers((image, question) => byKey[Convert.ToBase64String(image) + question]);
        return await new EvalRunner(2, log).RunAsync(benchmark, variant, client, new AskSettings(), CancellationToken.None);
    }

    private static async Task<string> KeyAsync(EvalItem item) => Convert.ToBase64String(await item.Image.ReadAsync(CancellationToken.None)) + item.Question;
}
