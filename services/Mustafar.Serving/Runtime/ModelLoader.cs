using Microsoft.Extensions.Logging;
using Mustafar.Models.KernelChecks;
using TorchSharp;

namespace Mustafar.Serving;

/// <summary>How a host loads and warms up its model. Both run on the inference thread under <c>no_grad</c>:
/// <see cref="Load"/> outside any dispose scope (the model's tensors must outlive it), <see cref="WarmUp"/> inside
/// one. The host reports SERVING only after both have finished.</summary>
/// <param name="Load">Builds the model from <see cref="ModelLoadContext.ModelPath"/> on the context's device and dtype.</param>
/// <param name="Modules">The model's module trees, whose kernels the start-up self-check compares with float64
/// before the host reports ready (<see cref="KernelSelfChecker"/>).</param>
/// <param name="WarmUp">Runs a representative forward pass so that the first request does not pay for lazy
/// initialisation; null skips warm-up.</param>
/// <param name="ProbeBatch">Runs one forward pass of that many representative items, for the start-up batch-size
/// calibration (<see cref="BatchSizeCalibration"/>); null: batches are capped by MaxBatchSize only.</param>
/// <param name="MinBatch">The smallest batch cap the model's requests need (a guided diffusion request takes 2 rows).</param>
public sealed record ModelLoader<TModel>(Func<ModelLoadContext, TModel> Load, Func<TModel, IEnumerable<torch.nn.Module>> Modules,
    Action<TModel, ModelLoadContext>? WarmUp = null, Action<TModel, int>? ProbeBatch = null, int MinBatch = 1)
    where TModel : class
{
    /// <summary>For a model whose batch needs untimed setup, in place of <see cref="ProbeBatch"/>: runs one batch of
    /// that many representative items and returns the time of the part that depends on the batch size, for the
    /// start-up batch-size calibration (the generator prefills its sequences untimed and times one decode step of
    /// all of them).</summary>
    public Func<TModel, int, TimeSpan>? TimeBatch { get; init; }
}

/// <summary>What a model loader needs, resolved and validated from configuration.</summary>
public sealed class ModelLoadContext
{
    public required ModelOptions Options { get; init; }
    public required BatchingOptions Batching { get; init; }
    public required LimitsOptions Limits { get; init; }

    /// <summary>The checkpoint file or folder.</summary>
    public string ModelPath => Options.Path;

    /// <summary>The model id reported to callers.</summary>
    public required string ModelId { get; init; }

    /// <summary>The resolved device.</summary>
    public required torch.Device Device { get; init; }

    /// <summary>The compute dtype of the weights.</summary>
    public required torch.ScalarType DType { get; init; }

    /// <summary>The host's services, for anything else a loader needs (tokenizer files, host options).</summary>
    public required IServiceProvider Services { get; init; }

    public required ILogger Logger { get; init; }
}
