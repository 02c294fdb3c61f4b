using Mustafar.Eval.Clients;

namespace Mustafar.Eval.Tests.Fixtures;

/// <summary>Stands in for the gateway: answers from a function of (image, question), and remembers what it was asked
/// and with which settings.</summary>
public sealed class CannedAnswers(Func<byte[], string, string> answer) : IAnswerClient
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Question, AskSettings Settings)> _asked = new();

    public IReadOnlyList<(string Question, AskSettings Settings)> Asked => [.. _asked];

    public Task<string> AskAsync(byte[] image, string question, AskSettings settings, CancellationToken cancellationToken)
    {
        if (image.Length == 0) throw new InvalidOperationException("an item without image bytes");
        _asked.Enqueue((question, settings));
        return Task.FromResult(answer(image, question));
    }

    public void Dispose() { }
}
