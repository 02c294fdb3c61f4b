using TorchSharp;

namespace Mustafar.Models.Diffusion;

/// <summary>How to load the pipeline and the defaults a request gets for the fields it leaves unset.</summary>
public sealed record DiffusionFeatureOptions
{
    /// <summary>The paper's best layer (16x16 x 1280 at 512 px for SD 2.1-base).</summary>
    public const string PaperTap = "U-L1-R1-B0-Cross-Q";

    public torch.Device Device { get; init; } = torch.CPU;

    /// <summary>Compute dtype of the U-Net and text encoder (float32, float16 or bfloat16). The VAE runs in float32
    /// instead of float16 when its config sets force_upcast, as diffusers does to avoid fp16 overflow.</summary>
    public torch.ScalarType DType { get; init; } = torch.ScalarType.Float32;

    /// <summary>Identifier echoed with every result (cache keys); the folder name when null.</summary>
    public string? ModelId { get; init; }

    /// <summary>Side of the square image fed to the VAE; the VAE config's sample_size when null (512 for SD 2.1-base).</summary>
    public int? ImageSize { get; init; }

    /// <summary>diffusers weight variant ("fp16" reads diffusion_pytorch_model.fp16.safetensors); null for the main files.</summary>
    public string? WeightVariant { get; init; }

    /// <summary>The paper's best timestep.</summary>
    public int DefaultTimestep { get; init; } = 50;

    public ulong DefaultSeed { get; init; } = 1234;

    /// <summary>0: unconditional features, as in the paper's projector pre-training.</summary>
    public float DefaultGuidanceScale { get; init; }

    public IReadOnlyList<string> DefaultTaps { get; init; } = [PaperTap];

    /// <summary>Largest number of U-Net rows (two per guided request) in one forward pass.</summary>
    public int MaxBatchRows { get; init; } = 8;

    /// <summary>Largest decoded image, width * height, checked from the header before decoding.</summary>
    public long MaxImagePixels { get; init; } = Imaging.ImageDecodeOptions.PilMaxImagePixels;

    /// <summary>Where each request's DDPM noise comes from: its own seeded draw, unless a caller reproducing a
    /// reference made with another generator supplies that reference's noise.</summary>
    public INoiseSource Noise { get; init; } = SeededNoise.Instance;
}
