using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Generation;

namespace Mustafar.Services.Tests.Host;

/// <summary>
/// The tiny checkpoints the hosts serve, written by the project's writers once per test run, all at once, before
/// any test creates a tensor: the CLIP writer builds its key layout on the meta device by switching TorchSharp's
/// process-wide default device, which would put another thread's new tensors there if a test ran meanwhile. Every
/// test reaches the checkpoints through here first, so the type initializer runs alone (other threads wait for it).
/// The folders are read-only for the tests and deleted when the process exits.
/// </summary>
public static class HostCheckpoints
{
    private static readonly TinyCheckpoints Folders = new();

    /// <summary>CLIP vision, "tiny" preset (28 px, 7x7 patches, 32 wide, 3 layers).</summary>
    public static string Clip { get; } = Folders.Get("clip", folder => TinyClipVisionCheckpoint.Write(folder, "tiny", seed: 3));

    /// <summary>A Stable Diffusion pipeline in the diffusers layout, "tiny" preset (64 px).</summary>
    public static string Diffusion { get; } =
        Folders.Get("diffusion", folder => TinyStableDiffusionWriter.Write(folder, TinyStableDiffusionPreset.Tiny, seed: 7));

    /// <summary>A LLaVA-style generator (llava-hf layout) fusing CLIP and diffusion tokens, "tiny-concat-tokens"
    /// preset (2-layer LLaMA, 512-token context, a SentencePiece tokenizer trained on the spot).</summary>
    public static string Generator { get; } =
        Folders.Get("generator", folder => TinyLlavaCheckpoint.Write(folder, TinyLlavaOptions.Preset("tiny-concat-tokens") with { Seed = 11 }));

    static HostCheckpoints() => AppDomain.CurrentDomain.ProcessExit += (_, _) => Folders.Dispose();
}
