using System.Diagnostics;
using Mustafar.Models.Fusion;
using Mustafar.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>
/// Continuous batching for one inference thread. A host loop calls <see cref="Admit"/> with newcomers at a step
/// boundary (their images are fused, their prompts prefilled together and merged into the running KV cache, and
/// their first tokens sampled) and <see cref="Step"/> to decode one token for every running sequence. Finished and
/// cancelled sequences leave the batch at once. Each sequence samples with its own RNG and keeps its own
/// positions, so its output does not depend on what it is batched with.
/// </summary>
public sealed class GenerationEngine(GeneratorModel model) : IDisposable
{
    private readonly LlamaBatchDecoder _decoder = new(model.Model.LanguageModel);
    private readonly List<GeneratingSequence> _running = [];

    /// <summary>Sequences decoding now.</summary>
    public int ActiveCount => _running.Count;

    /// <summary>How many more sequences <see cref="Admit"/> accepts now.</summary>
    public int FreeSlots => model.Options.MaxBatchSize - _running.Count;

    /// <summary>The prepared requests running now, in batch order.</summary>
    public IReadOnlyList<PreparedGeneration> Running => [.. _running.Select(s => s.Prepared)];

    /// <summary>Adds sequences to the batch: fuses their images, prefills their prompts and samples their first token.
    /// Returns one event per newcomer (a request already cancelled gets its final event without a forward).</summary>
    public IReadOnlyList<GenerationEvent> Admit(IReadOnlyList<PreparedGeneration> newcomers)
    {
        if (newcomers.Count > FreeSlots)
            throw new InvalidOperationException($"{newcomers.Count} newcomers but only {FreeSlots} free slots (MaxBatchSize {model.Options.MaxBatchSize})");
        var events = new List<GenerationEvent>();
        var live = new List<PreparedGeneration>();
        foreach (var prepared in newcomers)
            if (prepared.Request.Cancellation.IsCancellationRequested) events.Add(new GeneratingSequence(prepared, model).Cancel());
            else live.Add(prepared);
        if (live.Count == 0) return events;

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var watch = Stopwatch.StartNew();
        var images = FuseImages(live);
        var embeds = live.Select((p, i) => model.Model.EmbedPrompt(p.PromptIds, images[i])).ToList();
        var before = _decoder.BatchSize;
        var logits = _decoder.Add(embeds);
        List<GenerationEvent> first;
        var sequences = live.Select(p => new GeneratingSequence(p, model)).ToList();
        try
        {
            first = [.. sequences.Select((s, i) => s.Advance(logits[i]))];
        }
        catch
        {
            _decoder.KeepRows([.. Enumerable.Range(0, before)]);
            throw;
        }
        // Prefill time covers fusion, the prompt forward and the first token (sampling waits for the forward on any device).
        var prefillMs = watch.Elapsed.TotalMilliseconds;
        foreach (var sequence in sequences) sequence.PrefillMs = prefillMs;
        _running.AddRange(sequences);
        events.AddRange(first.Select(e => e.Result is null ? e : e with { Result = e.Result with { PrefillMs = prefillMs } }));
        RemoveFinished();
        return events;
    }

    /// <summary>Decodes one token for every running sequence. Cancelled requests are dropped first (their final event
    /// comes back without a forward).</summary>
    public IReadOnlyList<GenerationEvent> Step()
    {
        var events = new List<GenerationEvent>();
        foreach (var sequence in _running.Where(s => s.Prepared.Request.Cancellation.IsCancellationRequested))
            events.Add(sequence.Cancel());
        RemoveFinished();
        if (_running.Count == 0) return events;

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var watch = Stopwatch.StartNew();
        var logits = _decoder.Step([.. _running.Select(s => (long)s.LastToken)]);
        var advanced = new List<(GeneratingSequence Sequence, GenerationEvent Event)>();
        for (var row = 0; row < _running.Count; row++) advanced.Add((_running[row], _running[row].Advance(logits[row])));
        var elapsed = watch.Elapsed.TotalMilliseconds;
        foreach (var (sequence, e) in advanced)
        {
            sequence.DecodeMs += elapsed;
            events.Add(e.Result is null ? e : e with { Result = e.Result with { DecodeMs = sequence.DecodeMs } });
        }
        RemoveFinished();
        return events;
    }

    /// <summary>Removes one running sequence now (a deadline passed, the client went away) and returns its final
    /// event; null when it is not running.</summary>
    public GenerationEvent? Cancel(PreparedGeneration sequence)
    {
        var running = _running.FirstOrDefault(s => ReferenceEquals(s.Prepared, sequence));
        if (running is null) return null;
        var final = running.Cancel();
        RemoveFinished();
        return final;
    }

    /// <summary>Ends every running sequence (for example when the host shuts down), returning their final events.</summary>
    public IReadOnlyList<GenerationEvent> CancelAll()
    {
        var events = _running.Select(s => s.Cancel()).ToList();
        RemoveFinished();
        return events;
    }

    /// <summary>Visual tokens per newcomer ([image tokens, hidden], null without an image); all images go through the
    /// fusion module in one batch.</summary>
    private List<Tensor?> FuseImages(IReadOnlyList<PreparedGeneration> live)
    {
        var result = new List<Tensor?>(live.Select(_ => (Tensor?)null));
        var withImage = live.Select((p, i) => (p, i)).Where(x => x.p.HasImage).ToList();
        if (withImage.Count == 0) return result;
        // Requests may send different float dtypes; each goes to the model's dtype and device before stacking.
        var weight = model.Model.LanguageModel.Model.EmbeddingWeight;
        Tensor Stack(string name) => stack([.. withImage.Select(x => x.p.Request.Features[name].to(weight.dtype, weight.device))]);
        var clip = Stack(VisualFeatureSpec.ClipName);
        var diffusion = model.Fusion!.Mode.UsesDiffusion() ? Stack(VisualFeatureSpec.DiffusionName) : null;
        var projected = model.Model.ProjectImages(clip, diffusion);
        for (var k = 0; k < withImage.Count; k++) result[withImage[k].i] = projected[k];
        return result;
    }

    private void RemoveFinished()
    {
        if (_running.All(s => !s.Finished)) return;
        var keep = Enumerable.Range(0, _running.Count).Where(i => !_running[i].Finished).ToList();
        _decoder.KeepRows(keep);
        var kept = keep.Select(i => _running[i]).ToList();
        _running.Clear();
        _running.AddRange(kept);
    }

    public void Dispose() => _decoder.Dispose();
}
