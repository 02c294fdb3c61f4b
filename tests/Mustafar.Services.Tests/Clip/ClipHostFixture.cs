using Mustafar.ClipEncoder;
using Mustafar.Models.Clip;
using Mustafar.Services.Tests.Host;
using Mustafar.Contracts.Clip.V1;

namespace Mustafar.Services.Tests.Clip;

/// <summary>A tiny CLIP vision checkpoint written by the project, a ClipEncoder host serving it, and the same
/// checkpoint loaded directly for comparisons.</summary>
public sealed class ClipHostFixture : IAsyncLifetime
{
    /// <summary>Caps low enough that the tests can exceed them with small images (the test images are smaller).</summary>
    public const int MaxImagePixels = 20_000;
    public const int MaxImageBytes = 200_000;

    public string Folder { get; } = HostCheckpoints.Clip;
    public ServiceHost<ClipEncoderService, ClipVisionEncoder> Host { get; private set; } = null!;
    public Contracts.Clip.V1.ClipEncoder.ClipEncoderClient Client { get; private set; } = null!;
    public ClipVisionEncoder Direct { get; private set; } = null!;

    public static Dictionary<string, string> Settings(int maxBatchSize = 8, int maxBatchDelayMs = 2) => new()
    {
        ["Model:Id"] = "tiny-clip",
        ["Batching:MaxBatchSize"] = $"{maxBatchSize}",
        ["Batching:MaxBatchDelayMs"] = $"{maxBatchDelayMs}",
        // These tests check batch formation at the configured size; the start-up calibration would cap it by this
        // machine's timings (BatchCapTests checks the calibration).
        ["Batching:CalibrateBatchSize"] = "false",
        ["Limits:MaxImagePixels"] = $"{MaxImagePixels}",
        ["Limits:MaxImageBytes"] = $"{MaxImageBytes}",
    };

    public async Task InitializeAsync()
    {
        Host = await ServiceHost<ClipEncoderService, ClipVisionEncoder>.StartServingAsync(Folder, ClipEncoderService.Loader, Settings());
        Client = new Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(Host.Channel);
        Direct = ClipVisionEncoder.Load(Folder, new ClipVisionEncoderOptions { ModelId = "tiny-clip" });
    }

    public async Task DisposeAsync()
    {
        Direct.Dispose();
        await Host.DisposeAsync();
    }
}
