using Mustafar.Models.Fusion;
using TorchSharp;

namespace Mustafar.Models.Generation;

/// <summary>The loaded generator, as the Generator service's GetModelInfo reports it.</summary>
public sealed record GeneratorModelInfo
{
    public required string ModelId { get; init; }
    /// <summary>The fusion mode; null for a text-only model.</summary>
    public required FusionKind? FusionMode { get; init; }
    /// <summary>Features a request with an image must carry (empty for a text-only model).</summary>
    public required IReadOnlyList<VisualFeatureSpec> ExpectedFeatures { get; init; }
    /// <summary>Visual tokens one image adds to the prompt.</summary>
    public required int ImageTokens { get; init; }
    public required int ContextLength { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxNewTokensLimit { get; init; }
    public required string ConversationTemplate { get; init; }
    public required torch.ScalarType ComputeDType { get; init; }
    public required string Device { get; init; }
    public required int MaxBatchSize { get; init; }
    /// <summary>Applied to unset sampling fields (the seed is drawn per request).</summary>
    public required SamplingParameters DefaultSampling { get; init; }
    public required CheckpointLayout Layout { get; init; }
}
