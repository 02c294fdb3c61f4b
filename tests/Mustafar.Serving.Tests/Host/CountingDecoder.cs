using Mustafar.Serving.Tests.V1;
using Mustafar.Tensors;
using TorchSharp;

namespace Mustafar.Serving.Tests.Host;

/// <summary>
/// A small real step decoder: each sequence counts from its start, one number per step, and every step computes
/// the next numbers of all active sequences in one torch operation on the inference thread (as a language model
/// computes the next token of every sequence in one forward pass).
/// </summary>
internal sealed class CountingDecoder(TestProbe probe) : IStepDecoder<CountRequest, CountResponse>
{
    /// <summary>A sequence starting here makes <see cref="Step"/> throw, as a failing forward pass would.</summary>
    public const long ExplodingStart = 666_666;

    private readonly Dictionary<long, State> _sequences = [];

    public void Add(long sequenceId, CountRequest request)
    {
        if (request.Start < 0) throw new InvalidInputException("start", $"must not be negative, got {request.Start}");
        _sequences.Add(sequenceId, new State(request.Start, request.Start - 1, request.Length, 0));
        probe.Decoder.Added(sequenceId, request.Start);
    }

    public IReadOnlyList<SequenceOutput<CountResponse>> Step()
    {
        probe.WaitForStepPermit();
        probe.ModelThreads[Environment.CurrentManagedThreadId] = true;
        var ids = _sequences.Keys.ToArray();
        probe.Decoder.Stepped(ids.Select(id => (id, _sequences[id].Start)).ToArray());
        if (ids.Any(id => _sequences[id].Start == ExplodingStart)) throw new InvalidOperationException("the decode step exploded");

        var last = torch.tensor(ids.Select(id => _sequences[id].Last).ToArray());
        var next = (last + 1).data<long>().ToArray();
        var outputs = new SequenceOutput<CountResponse>[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            var state = _sequences[ids[i]] with { Last = next[i] };
            state = state with { Emitted = state.Emitted + 1 };
            _sequences[ids[i]] = state;
            outputs[i] = new SequenceOutput<CountResponse>(ids[i], new CountResponse { Value = next[i], BatchSize = ids.Length },
                Finished: state.Emitted >= state.Length);
        }
        return outputs;
    }

    public void Remove(long sequenceId)
    {
        if (_sequences.Remove(sequenceId, out var state)) probe.Decoder.Removed(sequenceId, state.Start);
    }

    private sealed record State(long Start, long Last, int Length, int Emitted);
}
