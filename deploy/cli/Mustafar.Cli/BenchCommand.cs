using Mustafar.CheckpointWriters.RealSize;
using Mustafar.Torch;

namespace Mustafar.Cli;

/// <summary>`mustafar bench init-real-size`: writes random-weight checkpoints at the real models' sizes once (see
/// <see cref="RealSizeCheckpoints"/>), for `mesh.sh up --preset real-size` and `bench.sh mesh real-size`.</summary>
public static class BenchCommand
{
    public const string Usage = """
          bench init-real-size --out DIR [--layers N] [--dtype float32|bfloat16] [--seed N] [--configs DIR]
                                                             write random-weight checkpoints at the real models' sizes
                                                             (SD 2.1-base, llava-hf with Vicuna-7B's layer shapes and N
                                                             layers, default 2, CLIP ViT-L/14-336 tower, cross-attention
                                                             fusion) from the real configs in --configs (default
                                                             tests/fixtures/reference/real_keys); once per settings
        """;

    public static int Run(CommandLine line)
    {
        if (line.Positional is not ["init-real-size"]) throw new UsageException("bench: the command is 'init-real-size'");
        var options = new RealSizeCheckpoints.Options(
            Layers: line.Int("layers", RealSizeCheckpoints.DefaultLayers),
            SaveDType: ParseDType(line.Optional("dtype") ?? "float32"),
            Seed: line.Int("seed", 1234));
        if (options.Layers < 1) throw new UsageException($"--layers must be at least 1, not {options.Layers}");
        var configs = RealSizeConfigs.Load(line.Optional("configs") ?? RealSizeConfigs.ReferenceFolder);

        var written = RealSizeCheckpoints.Ensure(line.Required("out"), configs, options);
        var tap = written.Tap;
        Console.WriteLine(written.Reused
            ? $"real-size models: already written in {written.Paths.Root}"
            : $"real-size models: wrote {written.Paths.Diffusion} and {written.Paths.Generator} ({options.Layers} decoder layers, " +
              $"{line.Optional("dtype") ?? "float32"} files, tap {tap.Name} {tap.GridHeight}x{tap.GridWidth}x{tap.Channels}; RANDOM weights, self-made tokenizers)");
        return 0;
    }

    private static TorchSharp.torch.ScalarType ParseDType(string text)
    {
        try
        {
            return TorchDTypes.ParseComputeDType(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--dtype: {e.Message}");
        }
    }
}
