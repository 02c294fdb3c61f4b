using Mustafar.CheckpointWriters;
using Mustafar.Models.Fusion;

namespace Mustafar.Cli;

/// <summary>`mustafar demo-models`: writes the offline demo's random-weight checkpoints once (see
/// <see cref="DemoCheckpoints"/>).</summary>
public static class DemoModels
{
    public static int Run(CommandLine line)
    {
        var fusionName = line.Optional("fusion") ?? FusionKind.CrossAttention.ConfigName();
        if (!FusionKinds.TryParse(fusionName, out var fusion))
            throw new UsageException($"--fusion '{fusionName}' is not one of {string.Join(", ", Enum.GetValues<FusionKind>().Select(m => m.ConfigName()))}");

        var written = DemoCheckpoints.Ensure(line.Required("out"), line.Int("seed", 1234), fusion);
        var tap = written.Tap;
        Console.WriteLine(written.Reused
            ? $"demo models: already written in {written.Paths.Root}"
            : $"demo models: wrote {written.Paths.Diffusion} and {written.Paths.Generator} " +
              $"(fusion {fusion.ConfigName()}, tap {tap.Name} {tap.GridHeight}x{tap.GridWidth}x{tap.Channels}; RANDOM weights)");
        return 0;
    }
}
