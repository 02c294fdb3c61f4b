using System.Diagnostics;
using Mustafar.Models.Generation;
using TorchSharp;

namespace Mustafar.Generator;

/// <summary>
/// What the generator's start-up work runs: the warm-up's requests, and the batch-size calibration's probe, which
/// times one decode step of a batch of sequences as the step scheduler runs them (an image-bearing prompt when the
/// model fuses images, so that the KV cache has a real request's length). The prefill is untimed: continuous batching
/// decodes many steps per prefill, so the decode step is what a larger batch has to make cheaper per sequence.
/// </summary>
internal static class DecodeStepProbe
{
    /// <summary>Decode steps timed per call; the calibration keeps the best of its runs.</summary>
    private const int TimedSteps = 2;

    /// <summary>Zero features of the shapes the fusion module expects; null for a text-only model.</summary>
    public static Dictionary<string, torch.Tensor>? ImageFeatures(GeneratorModel model) =>
        model.Fusion?.ExpectedFeatures.ToDictionary(s => s.Name, s => torch.zeros(s.Tokens, s.Channels));

    /// <summary>Prefills <paramref name="sequences"/> equal requests untimed, then returns the mean time of one
    /// decode step of all of them (sampling included). End-of-sequence tokens are banned with a logit bias so that
    /// no sequence leaves the batch while it is timed.</summary>
    public static TimeSpan Time(GeneratorModel model, int sequences)
    {
        var sampling = new SamplingRequest
        {
            MaxNewTokens = TimedSteps + 1,
            Temperature = 0,
            LogitBias = model.EosIds.Distinct().ToDictionary(id => id, _ => -100f),
        };
        var features = ImageFeatures(model);
        var request = new GenerationRequest
        {
            Messages = [new ConversationTurn(ChatRole.User, features is null ? "Hello" : "Describe the image.")],
            Features = features ?? new Dictionary<string, torch.Tensor>(),
            Sampling = sampling,
        };
        var prepared = Enumerable.Range(0, sequences).Select(_ => model.Prepare(request)).ToList();
        using var engine = new GenerationEngine(model);
        engine.Admit(prepared);
        if (engine.ActiveCount != sequences)
            throw new InvalidOperationException($"the calibration probe's {sequences} sequences ended at their first token; nothing to time");
        var started = Stopwatch.GetTimestamp();
        for (var step = 0; step < TimedSteps; step++) engine.Step();
        return Stopwatch.GetElapsedTime(started) / TimedSteps;
    }
}
