using Mustafar.Models.Fusion;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>One conversation to continue, as a host receives it.</summary>
public sealed record GenerationRequest
{
    /// <summary>The conversation, oldest first; the last turn is the user's.</summary>
    public required IReadOnlyList<ConversationTurn> Messages { get; init; }
    /// <summary>Named visual features ("clip", "diffusion"), each [tokens, channels]; empty for text only. The caller
    /// keeps ownership and must keep them alive until the request is admitted.</summary>
    public IReadOnlyDictionary<string, Tensor> Features { get; init; } = new Dictionary<string, Tensor>();
    public SamplingRequest? Sampling { get; init; }
    /// <summary>Must be null or the model's mode.</summary>
    public FusionKind? FusionMode { get; init; }
    public string RequestId { get; init; } = "";
    /// <summary>Checked between tokens; a cancelled request ends with <see cref="StopReason.Cancelled"/>.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>A validated, tokenized request, ready to join a batch (see <see cref="GenerationEngine"/>).</summary>
public sealed record PreparedGeneration
{
    public required GenerationRequest Request { get; init; }
    /// <summary>Prompt ids; the image, if any, is one <see cref="GeneratorCheckpointConfig.ImageTokenId"/>.</summary>
    public required IReadOnlyList<int> PromptIds { get; init; }
    public required SamplingParameters Sampling { get; init; }
    /// <summary>Prompt length in tokens, visual tokens included.</summary>
    public required int PromptTokens { get; init; }
    /// <summary>Visual tokens spliced into the prompt (0 without an image).</summary>
    public required int ImageTokens { get; init; }
    public bool HasImage => ImageTokens > 0;
}
