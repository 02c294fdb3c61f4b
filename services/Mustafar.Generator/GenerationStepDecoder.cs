using System.Diagnostics;
using Mustafar.Models.Generation;
using Mustafar.Serving;
using Mustafar.ServiceDefaults;

namespace Mustafar.Generator;

/// <summary>What one decode step produced for one sequence: new text (whole characters, maybe none), the tokens
/// generated so far, the sampled token's log-probability when asked for and, on the last step, the result with the
/// time the sequence waited before its prefill.</summary>
public sealed record GenerationStep(string Delta, int CompletionTokens, GenerationOutcome? Result, double QueueMs, TokenLikelihood? Logprob = null);

/// <summary>
/// The Serving step scheduler's view of a <see cref="GenerationEngine"/>, on the inference thread. Sequences that
/// join at a step boundary wait in <see cref="Add"/>; the next <see cref="Step"/> prefills all of them together
/// (fusion, prompt, first token) and then decodes one token for every running sequence, newcomers included. A
/// sequence that leaves (finished, cancelled, failed) leaves the engine's batch and KV cache at once.
/// </summary>
public sealed class GenerationStepDecoder(GeneratorModel model) : IStepDecoder<GenerationJob, GenerationStep>, IDisposable
{
    private readonly GenerationEngine _engine = new(model);
    private readonly Dictionary<long, Sequence> _sequences = [];
    private readonly Dictionary<PreparedGeneration, long> _ids = new(ReferenceEqualityComparer.Instance);
    private readonly List<Sequence> _joining = [];

    public void Add(long sequenceId, GenerationJob request)
    {
        var sequence = new Sequence(sequenceId, request);
        _sequences.Add(sequenceId, sequence);
        _joining.Add(sequence);
    }

    public IReadOnlyList<SequenceOutput<GenerationStep>> Step()
    {
        var outputs = new List<SequenceOutput<GenerationStep>>();
        if (_joining.Count > 0)
        {
            // The feature tensors made here live in this step's dispose scope: the prefill is their only use.
            foreach (var sequence in _joining)
            {
                sequence.QueueMs = Stopwatch.GetElapsedTime(sequence.Job.SubmittedAt).TotalMilliseconds;
                sequence.Running = sequence.Job.FeatureTensors();
                _ids.Add(sequence.Running, sequence.Id);
            }
            var newcomers = _joining.Select(s => s.Running!).ToList();
            var joined = _joining.ToList();
            _joining.Clear();
            var started = DateTimeOffset.UtcNow;
            try
            {
                outputs.AddRange(_engine.Admit(newcomers).Select(Output));
            }
            finally
            {
                TracePrefill(joined, started);
            }
        }
        if (_engine.ActiveCount > 0) outputs.AddRange(_engine.Step().Select(Output));
        return outputs;
    }

    public void Remove(long sequenceId)
    {
        if (!_sequences.Remove(sequenceId, out var sequence)) return;
        _joining.Remove(sequence);
        if (sequence.Running is not { } running) return;
        _ids.Remove(running);
        _engine.Cancel(running);
    }

    public void Dispose() => _engine.Dispose();

    /// <summary>One "generator.prefill" span per sequence that joined (they were prefilled together: the same times),
    /// under the span of the call that submitted it. Made after the fact on the inference thread, which then has no
    /// current span again.</summary>
    private static void TracePrefill(IReadOnlyList<Sequence> joined, DateTimeOffset started)
    {
        var previous = Activity.Current;
        foreach (var sequence in joined)
        {
            if (sequence.Job.Trace == default) continue;
            using var span = MeshTracing.Source.StartActivity("generator.prefill", ActivityKind.Internal, sequence.Job.Trace, startTime: started);
            span?.SetTag(SpanTags.BatchSize, joined.Count);
            span?.SetTag(SpanTags.QueueWaitMs, sequence.QueueMs);
        }
        Activity.Current = previous;
    }

    private SequenceOutput<GenerationStep> Output(GenerationEvent e)
    {
        var sequence = _sequences[_ids[e.Sequence]];
        var step = new GenerationStep(e.Delta, e.CompletionTokens, e.Result, sequence.QueueMs, e.Logprob);
        // A cancelled sequence's last event samples nothing; every other event stands for one new token.
        return new SequenceOutput<GenerationStep>(sequence.Id, step, e.IsFinal, e.Result?.Reason == StopReason.Cancelled ? 0 : 1);
    }

    private sealed class Sequence(long id, GenerationJob job)
    {
        public long Id { get; } = id;
        public GenerationJob Job { get; } = job;
        public double QueueMs { get; set; }

        /// <summary>The request the engine runs, once it has joined the batch.</summary>
        public PreparedGeneration? Running { get; set; }
    }
}
