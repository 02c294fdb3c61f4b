using Mustafar.Models.Diffusion.UNet;
using TorchSharp;

namespace Mustafar.Models.Diffusion;

/// <summary>The loaded pipeline as GetModelInfo describes it: sizes, limits, defaults and every valid tap at the
/// pipeline's image size, in forward order.</summary>
public sealed record DiffusionModelInfo(
    string ModelId,
    int ImageSize,
    int NumTrainTimesteps,
    int MaxPromptTokens,
    IReadOnlyList<UNetTapInfo> Taps,
    int DefaultTimestep,
    ulong DefaultSeed,
    float DefaultGuidanceScale,
    IReadOnlyList<string> DefaultTaps,
    torch.ScalarType ComputeDType,
    string Device,
    int MaxBatchRows,
    long MaxImagePixels,
    int LatentChannels,
    int LatentSize);
