using Mustafar.Models.Fusion;
using TorchSharp;

using Mustafar.Models.Generation;

namespace Mustafar.CheckpointWriters;

/// <summary>What <see cref="TinyLlavaCheckpoint"/> writes: layout, fusion mode and the (tiny) sizes. The defaults
/// make a 2-layer GQA LLaMA (hidden 64), a 7x7-patch CLIP-like tower (28 px, patch 4, width 32) and a 4x4x48
/// diffusion tap. Sizes that must match the other services' tiny models (CLIP grid and width, diffusion grid,
/// channels and tap) are options, so a demo can line them up.</summary>
public sealed record TinyLlavaOptions
{
    public CheckpointLayout Layout { get; init; } = CheckpointLayout.LlavaHf;
    public FusionKind Mode { get; init; } = FusionKind.ClipOnly;
    public long Seed { get; init; }
    /// <summary>dtype of the saved tensors (the loader converts to the compute dtype).</summary>
    public torch.ScalarType SaveDType { get; init; } = torch.ScalarType.Float32;
    /// <summary>1 writes model.safetensors; more writes that many shards and model.safetensors.index.json.</summary>
    public int Shards { get; init; } = 1;
    /// <summary>Standard deviation of the random weight matrices: 0.15 makes a tiny model's greedy choices clear
    /// (no near-ties); a real-size model takes a trained model's 0.02, which keeps its activations in range.</summary>
    public double WeightStd { get; init; } = 0.15;

    public int SentencePieceVocab { get; init; } = 500;
    /// <summary>Text the tokenizer also learns its merges from (see <see cref="LlamaTinySentencePiece.Build"/>).</summary>
    public string TokenizerCorpus { get; init; } = "";
    public int HiddenSize { get; init; } = 64;
    public int IntermediateSize { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KeyValueHeads { get; init; } = 2;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public bool TieWordEmbeddings { get; init; }

    public int VisionHiddenSize { get; init; } = 32;
    public int VisionIntermediateSize { get; init; } = 64;
    public int VisionLayers { get; init; } = 3;
    public int VisionHeads { get; init; } = 4;
    public int VisionImageSize { get; init; } = 28;
    public int VisionPatchSize { get; init; } = 4;

    public string DiffusionTap { get; init; } = "U-L1-R1-B0-Cross-Q";
    public int DiffusionChannels { get; init; } = 48;
    public int DiffusionGridHeight { get; init; } = 4;
    public int DiffusionGridWidth { get; init; } = 4;
    public int DiffusionTimestep { get; init; } = 50;
    public double DiffusionGuidanceScale { get; init; } = 4.0;
    public int CrossAttentionHeads { get; init; } = 4;

    /// <summary>Named presets: tiny-clip-only, tiny-concat-tokens, tiny-concat-channels, tiny-cross-attention
    /// (llava-hf layout) and tiny-vicuna (text only).</summary>
    public static TinyLlavaOptions Preset(string name) => name switch
    {
        "tiny-vicuna" => new TinyLlavaOptions { Layout = CheckpointLayout.Llama },
        _ when name.StartsWith("tiny-", StringComparison.Ordinal) && FusionKinds.TryParse(name["tiny-".Length..], out var mode) => new TinyLlavaOptions { Mode = mode },
        _ => throw new ArgumentException($"unknown tiny checkpoint preset '{name}' (known: {string.Join(", ", PresetNames)})", nameof(name)),
    };

    public static IReadOnlyList<string> PresetNames { get; } =
        [.. Enum.GetValues<FusionKind>().Select(m => "tiny-" + m.ConfigName()), "tiny-vicuna"];
}
