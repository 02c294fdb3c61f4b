using Mustafar.Generator;
using Mustafar.Models.Generation;
using Mustafar.Services.Tests.Host;
using Mustafar.Contracts.Generation.V1;

namespace Mustafar.Services.Tests.Generator;

/// <summary>A tiny LLaVA-style generator written by the project, a Generator host serving it, and the same
/// checkpoint loaded directly for comparisons.</summary>
public sealed class GeneratorHostFixture : IAsyncLifetime
{
    public const string ModelId = "tiny-llava";
    /// <summary>Low enough to exceed cheaply, high enough that a prompt can overflow the 512-token context first.</summary>
    public const int MaxPromptChars = 6_000;
    public const int MaxNewTokens = 64;

    public ServiceHost<GeneratorService, GeneratorModel> Host { get; private set; } = null!;
    public Contracts.Generation.V1.Generator.GeneratorClient Client { get; private set; } = null!;
    public GeneratorModel Direct { get; private set; } = null!;

    public static Dictionary<string, string> Settings(int maxBatchSize = 8, int maxBatchDelayMs = 2) => new()
    {
        ["Model:Id"] = ModelId,
        ["Batching:MaxBatchSize"] = $"{maxBatchSize}",
        ["Batching:MaxBatchDelayMs"] = $"{maxBatchDelayMs}",
        // These tests check continuous batching at the configured size; the start-up calibration would cap it by this
        // machine's timings (BatchCapTests checks the calibration).
        ["Batching:CalibrateBatchSize"] = "false",
        ["Limits:MaxPromptChars"] = $"{MaxPromptChars}",
        ["Limits:MaxNewTokens"] = $"{MaxNewTokens}",
    };

    /// <summary>The checkpoint as the host loads it, for direct comparisons.</summary>
    public static GeneratorModel LoadDirect() => GeneratorModel.Load(HostCheckpoints.Generator,
        new GeneratorOptions { ModelId = ModelId, MaxNewTokensLimit = MaxNewTokens });

    public async Task InitializeAsync()
    {
        Host = await ServiceHost<GeneratorService, GeneratorModel>.StartServingAsync(HostCheckpoints.Generator, GeneratorService.Loader, Settings());
        Client = new Contracts.Generation.V1.Generator.GeneratorClient(Host.Channel);
        Direct = LoadDirect();
    }

    public async Task DisposeAsync()
    {
        Direct.Dispose();
        await Host.DisposeAsync();
    }
}
