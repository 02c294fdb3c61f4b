using Mustafar.Models.Tokenization;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>One sequence in a <see cref="GenerationEngine"/> batch: its sampler, streaming decoder, stop-string
/// matcher, counters and timings. Turns each new token into an event.</summary>
internal sealed class GeneratingSequence(PreparedGeneration prepared, GeneratorModel model)
{
    private readonly TokenSampler _sampler = new(prepared.Sampling);
    private readonly LlamaStreamingDecoder _decoder = new(model.Tokenizer);
    private readonly StopStringMatcher _stops = new(prepared.Sampling.Stop);
    private readonly HashSet<int> _seen = SeenIds(prepared, model);

    public PreparedGeneration Prepared => prepared;
    public int LastToken { get; private set; }
    public int CompletionTokens { get; private set; }
    public double PrefillMs { get; set; }
    public double DecodeMs { get; set; }
    public bool Finished { get; private set; }

    /// <summary>Samples the next token from <paramref name="logits"/> [vocab] and reports what it adds.</summary>
    public GenerationEvent Advance(Tensor logits)
    {
        var sampled = _sampler.Next(logits, _seen);
        var token = sampled.Id;
        LastToken = token;
        CompletionTokens++;
        if (model.EosIds.Contains(token)) return Finish(StopReason.Eos, "");

        if (prepared.Sampling.RepetitionPenalty != 1f) _seen.Add(token);
        var text = _stops.Push(_decoder.Push(token));
        StopReason? reason = _stops.Matched is not null ? StopReason.StopString
            : CompletionTokens >= prepared.Sampling.MaxNewTokens ? StopReason.Length
            // The token just sampled would sit at position PromptTokens + CompletionTokens - 1; one more needs room.
            : prepared.PromptTokens + CompletionTokens >= model.Info.ContextLength ? StopReason.ContextFull
            : null;
        var step = reason is { } last ? Finish(last, text) : new GenerationEvent(prepared, text, CompletionTokens, null);
        return step with { Logprob = Describe(sampled) };
    }

    private TokenLikelihood? Describe(SampledToken sampled)
    {
        if (sampled.Logprob is not { } logprob) return null;
        return Token(sampled.Id, logprob, [.. sampled.Top.Select(t => Token(t.Id, t.Logprob, []))]);

        TokenLikelihood Token(int id, float value, IReadOnlyList<TokenLikelihood> top)
        {
            var (text, bytes) = model.Tokenizer.TokenOf(id);
            return new TokenLikelihood(id, text, bytes, value, top);
        }
    }

    /// <summary>Ends the sequence because its request was cancelled.</summary>
    public GenerationEvent Cancel() => Finish(StopReason.Cancelled, "");

    private GenerationEvent Finish(StopReason reason, string text)
    {
        Finished = true;
        // Whatever the decoder and the stop matcher still hold belongs to the answer, unless a stop string ended it.
        if (reason != StopReason.StopString && reason != StopReason.Cancelled)
            text += _stops.Push(_decoder.Flush()) + _stops.Flush();
        if (_stops.Matched is not null) reason = StopReason.StopString;
        var result = new GenerationOutcome(reason, prepared.PromptTokens, CompletionTokens, prepared.ImageTokens, PrefillMs, DecodeMs,
            reason == StopReason.StopString ? _stops.Matched : null);
        return new GenerationEvent(prepared, text, CompletionTokens, result);
    }

    private static HashSet<int> SeenIds(PreparedGeneration prepared, GeneratorModel model) =>
        prepared.Sampling.RepetitionPenalty == 1f ? []
            : [.. prepared.PromptIds.Where(id => id != model.Config.ImageTokenId && id >= 0 && id < model.Info.VocabSize)];
}
