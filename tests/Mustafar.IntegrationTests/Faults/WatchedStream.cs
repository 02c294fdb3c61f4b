using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;

namespace Mustafar.IntegrationTests.Faults;

/// <summary>
/// One streamed question (SSE or gRPC Ask) running in the background through the load tool's senders, which read a
/// stream the way a careful client does: success only with the final chunk and [DONE] (SSE) or the final AskResult
/// (gRPC); an SSE error event or a gRPC status is the error it names; a stream that just stops is "incomplete".
/// <see cref="FirstDelta"/> completes when the first token arrives (or the stream ends first).
/// </summary>
public sealed class WatchedStream
{
    private readonly TaskCompletionSource _firstDelta = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WatchedStream(IRequestSender sender, RequestPlan plan)
    {
        Kind = plan.Kind;
        End = Task.Run(async () =>
        {
            try
            {
                return await sender.SendAsync(plan, () => _firstDelta.TrySetResult(), CancellationToken.None);
            }
            catch (Exception failure) when (failure is HttpRequestException or IOException)
            {
                return new SendResult("transport", failure.Message);
            }
            finally
            {
                _firstDelta.TrySetResult();
            }
        });
    }

    public RequestKind Kind { get; }

    public Task FirstDelta => _firstDelta.Task;

    /// <summary>How the stream ended.</summary>
    public Task<SendResult> End { get; }

    public static WatchedStream Start(IRequestSender sender, RequestKind kind, byte[] image, string question) =>
        new(sender, new RequestPlan(0, kind, image, RepeatedImage: false, question));

    /// <summary>Whether <paramref name="end"/> is an error a client can act on: an SSE error event with a message (the
    /// stream then closed with [DONE]), or a gRPC UNAVAILABLE or INTERNAL status with a message. A cut connection or
    /// a stream that stops without its final message is not.</summary>
    public static bool IsClearError(SendResult end) =>
        !string.IsNullOrWhiteSpace(end.Message)
        && (end.Outcome.StartsWith("sse ", StringComparison.Ordinal) || end.Outcome is "grpc Unavailable" or "grpc Internal");
}
