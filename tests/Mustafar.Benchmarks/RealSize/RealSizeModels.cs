using Mustafar.CheckpointWriters.RealSize;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Common;
using Mustafar.Models.Llama;
using Mustafar.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.RealSize;

/// <summary>
/// The real checkpoints' module trees with random weights, built in memory from the real configs in
/// tests/fixtures/reference/real_keys (no multi-GB files): what the real-size benchmarks and the kernel self-check
/// benchmark run. Also the one parser of the real-size benchmarks' shared arguments.
/// </summary>
public static class RealSizeModels
{
    /// <summary>The argument that selects a benchmark's real-size run: <c>bench.sh NAME real-size [float32|bfloat16]</c>.</summary>
    public const string Preset = "real-size";

    public static bool Selected(string[] args) => args.Length > 0 && args[0] == Preset;

    /// <summary>The dtype argument after <see cref="Preset"/> (default float32).</summary>
    public static ScalarType DType(string[] args, int index = 1) =>
        args.Length > index ? Mustafar.Torch.TorchDTypes.ParseComputeDType(args[index]) : ScalarType.Float32;

    /// <summary>The real_keys folder of this checkout.</summary>
    public static string ConfigFolder => Path.Combine(RepoPaths.Root, RealSizeConfigs.ReferenceFolder);

    /// <summary>One real config by its file name in real_keys ("vicuna-7b-v1.5").</summary>
    public static HfConfig Config(string name) => RealSizeConfigs.Config(ConfigFolder, name);

    /// <summary>CLIP ViT-L/14-336's vision tower.</summary>
    public static ClipVisionConfig ClipLarge336 => ClipVisionConfig.From(Config(RealSizeConfigs.ClipVisionName));

    /// <summary>A LLaMA with Vicuna-7B's shapes (hidden 4096, 32 heads, intermediate 11008, vocabulary 32000) and
    /// <paramref name="layers"/> decoder layers, weights N(0, 0.02).</summary>
    public static LlamaForCausalLM Vicuna7BShapes(int layers, ScalarType dtype)
    {
        var config = LlamaConfig.From(Config(RealSizeConfigs.VicunaName)) with { NumHiddenLayers = layers };
        var model = ModuleBuild.Build(CPU, dtype, (d, t) => new LlamaForCausalLM(config, d, t));
        InitializeLikeACheckpoint(model);
        model.eval();
        return model;
    }

    /// <summary>Weights of a trained scale (N(0, 0.02); norms 1 and 0). TorchSharp 0.107 leaves GroupNorm's affine
    /// parameters uninitialised, and random garbage there would overflow float32.</summary>
    public static void InitializeLikeACheckpoint(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            var isNorm = name.Contains("norm", StringComparison.Ordinal);
            if (isNorm && name.EndsWith(".weight", StringComparison.Ordinal)) nn.init.ones_(parameter);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(parameter);
            else nn.init.normal_(parameter, 0, 0.02);
        }
    }
}
