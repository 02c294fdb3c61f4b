using Microsoft.Extensions.Configuration;
using Mustafar.Serving;
using Mustafar.ServiceDefaults;

namespace Mustafar.Services.Tests;

/// <summary>Each host's appsettings.json: every key it sets is one the runtime reads, the values pass the runtime's
/// own validation, no checkpoint is bundled (the path comes from the deployment), and the gRPC message limits fit
/// the real models' messages.</summary>
public sealed class HostSettingsTests
{
    private const long MiB = 1024 * 1024;

    /// <summary>The largest message each host must pass for the real models (fp32 unless the model sends fp16).</summary>
    public static TheoryData<string, long, long> Hosts => new()
    {
        // CLIP ViT-L/14-336: an image in, [577, 1024] fp32 out.
        { "Mustafar.ClipEncoder", 20 * MiB, 577 * 1024 * 4 },
        // SD 2.1-base at 512 px: the paper's tap [256, 1280] plus the widest early tap [4096, 320], fp32.
        { "Mustafar.DiffusionEncoder", 20 * MiB, (256 * 1280 + 4096 * 320) * 4 },
        // LLaVA-1.5: CLIP [576, 4096] fp16 (4.7 MB) and diffusion [256, 1280] fp32 in; text out.
        { "Mustafar.Generator", 576 * 4096 * 2 + 256 * 1280 * 4, 64 * 1024 },
    };

    private static IConfigurationRoot Load(string host) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(RepoPaths.Root, "services", host, "appsettings.json"), optional: false)
        .Build();

    [Theory]
    [MemberData(nameof(Hosts))]
    public void The_defaults_are_valid_known_keys_with_the_checkpoint_left_to_the_deployment(string host, long largestRequest, long largestResponse)
    {
        var configuration = Load(host);
        var keys = configuration.GetSection(ServingOptionKeys.Root).AsEnumerable(makePathsRelative: false)
            .Where(kv => kv.Value is not null).Select(kv => kv.Key).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.Contains(key, ServingOptionKeys.All, StringComparer.OrdinalIgnoreCase));

        var problems = ServingOptionKeys.Sections
            .SelectMany(s => ((IValidatedOptions)(configuration.GetSection(s.Section).Get(s.Type) ?? Activator.CreateInstance(s.Type)!)).Validate())
            .ToList();
        // The only complaint: no checkpoint is configured (MUSTAFAR__Model__Path sets it).
        Assert.Equal([$"{ModelOptions.Section}:Path is required: the checkpoint file or folder to load"], problems);

        var server = configuration.GetSection(ServerOptions.Section).Get<ServerOptions>()!;
        Assert.True(server.MaxReceiveMessageBytes > largestRequest, $"{host}: receive limit {server.MaxReceiveMessageBytes} < {largestRequest}");
        Assert.True(server.MaxSendMessageBytes > largestResponse, $"{host}: send limit {server.MaxSendMessageBytes} < {largestResponse}");
    }
}
