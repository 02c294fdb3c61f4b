using static TorchSharp.torch;

namespace Mustafar.Train.Running;

/// <summary>Everything a training run is determined by. <see cref="Validate"/> names the bad field.</summary>
public sealed record TrainOptions
{
    public required TrainStage Stage { get; init; }
    /// <summary>The starting generator checkpoint (llava-hf layout): its config, tokenizer and weights.</summary>
    public required string Model { get; init; }
    /// <summary>The CLIP vision tower's folder (the CLIP service's model); default: <see cref="Model"/>, which
    /// carries the tower in the llava-hf layout.</summary>
    public string? Clip { get; init; }
    /// <summary>The Stable Diffusion pipeline folder (the diffusion service's model), for the diffusion modes.</summary>
    public string? Diffusion { get; init; }
    public required string Data { get; init; }
    /// <summary>Image folder; default: the data file's folder.</summary>
    public string? Images { get; init; }
    public required string Output { get; init; }

    public int Epochs { get; init; } = 1;
    /// <summary>Stop after this many optimizer steps (default: the epochs' worth).</summary>
    public int? MaxSteps { get; init; }
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-3;
    public double WarmupRatio { get; init; } = 0.03;
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public ScalarType DType { get; init; } = ScalarType.Float32;
    /// <summary>The dtype of the exported weights.</summary>
    public ScalarType SaveDType { get; init; } = ScalarType.Float32;
    public long Seed { get; init; } = 42;
    /// <summary>libtorch's intra-op threads (null: its default). On a shared machine 1 is far faster: OpenMP's
    /// worker threads spin while waiting for cores other processes hold.</summary>
    public int? Threads { get; init; }
    /// <summary>Re-initialise every trainable weight from the seed (transformers' init: normal(0, 0.02) weights, zero
    /// biases, unit norms) instead of starting from the checkpoint's values: a model trained from scratch.</summary>
    public bool FromScratch { get; init; }

    /// <summary>Train the generator checkpoint's CLIP vision tower too (LLaVA-NeXT's <c>mm_vision_tower</c> tunable part),
    /// at the same learning rate; the trained tower is written into the output folder, where the CLIP service loads
    /// it. Without it the tower is frozen, as in LLaVA-1.5 and the paper.</summary>
    public bool TrainVisionTower { get; init; }

    /// <summary>finetune only: train a LoRA adapter on the language model instead of all its weights (the projector and
    /// the fusion still train fully); the exported checkpoint has the adapter merged, and OUT/adapter keeps it apart.</summary>
    public Lora.LoraSettings? Lora { get; init; }

    /// <summary>The probability that a sample's diffusion prompt is the empty prompt instead of its question.</summary>
    public double PromptDropout { get; init; } = 0.3;
    /// <summary>Pretrain only: always the empty prompt.</summary>
    public bool EmptyPromptInPretrain { get; init; }
    public int? Timestep { get; init; }
    public float? GuidanceScale { get; init; }

    /// <summary>A training-state checkpoint every this many optimizer steps (0: only at the end).</summary>
    public int SaveEvery { get; init; }
    /// <summary>Continue from the latest training-state checkpoint in <see cref="Output"/>.</summary>
    public bool Resume { get; init; }
    /// <summary>Tests only: stop (as an interruption would) after this many optimizer steps of this invocation.</summary>
    public int? StopAfterSteps { get; init; }

    public void Validate()
    {
        static void Check(bool ok, string field, string message)
        {
            if (!ok) throw new ArgumentException($"{field}: {message}");
        }
        Check(Directory.Exists(Model), "model", $"{Model} is not a folder");
        Check(File.Exists(Data), "data", $"{Data} does not exist");
        Check(Epochs >= 1, "epochs", "must be at least 1");
        Check(MaxSteps is null or >= 1, "max_steps", "must be at least 1");
        Check(BatchSize >= 1, "batch_size", "must be at least 1");
        Check(GradientAccumulation >= 1, "gradient_accumulation", "must be at least 1");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", "must be positive");
        Check(WarmupRatio is >= 0 and < 1, "warmup_ratio", "must be in [0, 1)");
        Check(WeightDecay >= 0, "weight_decay", "must not be negative");
        Check(MaxGradNorm >= 0, "max_grad_norm", "must not be negative (0 disables clipping)");
        Check(DType is ScalarType.Float32 or ScalarType.BFloat16, "dtype", "must be float32 or bfloat16");
        Check(SaveDType is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16, "save_dtype", "must be float32, bfloat16 or float16");
        Check(PromptDropout is >= 0 and <= 1, "prompt_dropout", "must be in [0, 1]");
        Check(Threads is null or >= 1, "threads", "must be at least 1");
        Check(!TrainVisionTower || Clip is null, "clip", "a trained vision tower is the one in the model folder (it is written back into the output's checkpoint); leave --clip out");
        Check(Lora is null || Stage == TrainStage.Finetune, "lora_rank", "LoRA adapts the language model, which only finetune trains");
        Check(Lora is null || !FromScratch, "lora_rank", "a LoRA adapter trains on top of a trained language model; --from-scratch re-initialises it");
        Lora?.Validate();
        Check(SaveEvery >= 0, "save_every", "must not be negative");
    }
}
