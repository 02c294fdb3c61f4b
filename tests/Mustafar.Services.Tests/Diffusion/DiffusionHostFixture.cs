using Mustafar.DiffusionEncoder;
using Mustafar.Models.Diffusion;
using Mustafar.Services.Tests.Host;
using Mustafar.Contracts.Diffusion.V1;

namespace Mustafar.Services.Tests.Diffusion;

/// <summary>A tiny Stable Diffusion pipeline written by the project, a DiffusionEncoder host serving it, and the
/// same pipeline loaded directly for comparisons.</summary>
public sealed class DiffusionHostFixture : IAsyncLifetime
{
    /// <summary>Caps low enough that the tests can exceed them cheaply (the test images are smaller).</summary>
    public const int MaxImagePixels = 20_000;
    public const int MaxPromptChars = 2_000;
    public const int MaxBatchRows = 8;
    public const string ModelId = "tiny-sd";

    public ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor> Host { get; private set; } = null!;
    public Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient Client { get; private set; } = null!;
    public StableDiffusionFeatureExtractor Direct { get; private set; } = null!;

    public static Dictionary<string, string> Settings(int maxBatchSize = MaxBatchRows, int maxBatchDelayMs = 2) => new()
    {
        ["Model:Id"] = ModelId,
        ["Batching:MaxBatchSize"] = $"{maxBatchSize}",
        ["Batching:MaxBatchDelayMs"] = $"{maxBatchDelayMs}",
        // These tests check batch formation at the configured size; the start-up calibration would cap it by this
        // machine's timings (BatchCapTests checks the calibration).
        ["Batching:CalibrateBatchSize"] = "false",
        ["Limits:MaxImagePixels"] = $"{MaxImagePixels}",
        ["Limits:MaxPromptChars"] = $"{MaxPromptChars}",
    };

    /// <summary>The pipeline as the host loads it, for direct comparisons.</summary>
    public static StableDiffusionFeatureExtractor LoadDirect() =>
        StableDiffusionFeatureExtractor.Load(HostCheckpoints.Diffusion, new DiffusionFeatureOptions { ModelId = ModelId, MaxBatchRows = MaxBatchRows });

    public async Task InitializeAsync()
    {
        Host = await ServiceHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartServingAsync(
            HostCheckpoints.Diffusion, DiffusionEncoderService.Loader, Settings());
        Client = new Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(Host.Channel);
        Direct = LoadDirect();
    }

    public async Task DisposeAsync()
    {
        Direct.Dispose();
        await Host.DisposeAsync();
    }
}
