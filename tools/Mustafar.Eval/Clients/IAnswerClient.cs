namespace Mustafar.Eval.Clients;

/// <summary>Asks one question about one image and returns the whole answer text.</summary>
public interface IAnswerClient : IDisposable
{
    Task<string> AskAsync(byte[] image, string question, AskSettings settings, CancellationToken cancellationToken);
}

/// <summary>A question the gateway did not answer. <see cref="Transient"/>: worth asking again after a pause (429,
/// 503, RESOURCE_EXHAUSTED, UNAVAILABLE, a dropped connection); anything else is the item's or the setting's fault.</summary>
public sealed class AnswerException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}
