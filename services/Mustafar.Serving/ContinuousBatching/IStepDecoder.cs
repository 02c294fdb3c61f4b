namespace Mustafar.Serving;

/// <summary>
/// A model that decodes many sequences together, one step at a time (continuous batching). The
/// <see cref="StepScheduler{TRequest,TOutput}"/> calls it only on the inference thread, between steps:
/// <see cref="Add"/> when a sequence joins, <see cref="Step"/> to advance every active sequence by one token,
/// <see cref="Remove"/> when a sequence finished, was cancelled or failed.
/// </summary>
/// <remarks>
/// Every call runs inside a work item's dispose scope, so tensors the decoder keeps between calls (a KV cache,
/// the last logits) must be detached from it (<c>DetachFromDisposeScope()</c>) and disposed by the decoder in
/// <see cref="Remove"/> (and in <c>Dispose</c>, when the decoder is <see cref="IDisposable"/>; the runtime
/// disposes it on the inference thread at shutdown).
/// </remarks>
/// <typeparam name="TRequest">A prepared, validated request (prompt ids, features, sampling settings).</typeparam>
/// <typeparam name="TOutput">What one step yields for one sequence (a token and its text delta); managed data.</typeparam>
public interface IStepDecoder<in TRequest, TOutput>
{
    /// <summary>Admits a sequence at a step boundary (the decoder may prefill here or in the next
    /// <see cref="Step"/>). Throwing fails this sequence only; <see cref="Remove"/> is not called for it.</summary>
    void Add(long sequenceId, TRequest request);

    /// <summary>Advances every active sequence by one step and returns what each produced. A sequence may be
    /// absent from the result when it produced nothing this step. Throwing fails every active sequence (each is
    /// then removed), and the scheduler goes on with new ones.</summary>
    IReadOnlyList<SequenceOutput<TOutput>> Step();

    /// <summary>Forgets a sequence and frees its state. Called once for every sequence that was added.</summary>
    void Remove(long sequenceId);
}

/// <summary>One sequence's output of one step.</summary>
/// <param name="SequenceId">The id given to <see cref="IStepDecoder{TRequest,TOutput}.Add"/>.</param>
/// <param name="Output">Streamed to the sequence's caller.</param>
/// <param name="Finished">The sequence is done (end of sequence, length, stop string); the scheduler removes it.</param>
/// <param name="Tokens">Tokens this output stands for, counted in the generated-tokens metric.</param>
public readonly record struct SequenceOutput<TOutput>(long SequenceId, TOutput Output, bool Finished = false, int Tokens = 1);
