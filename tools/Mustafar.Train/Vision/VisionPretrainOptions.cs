namespace Mustafar.Train.Vision;

/// <summary>A pre-training run of a generator checkpoint's CLIP vision tower on synthetic scenes
/// (<see cref="VisionPretrainer"/>). <see cref="Validate"/> names the bad field.</summary>
public sealed record VisionPretrainOptions
{
    /// <summary>The llava-hf generator checkpoint whose vision tower (vision_tower.*) is trained.</summary>
    public required string Model { get; init; }
    /// <summary>SPLIT.scenes.json of `mustafar data synth`: what each image shows; images are relative to its folder.</summary>
    public required string Scenes { get; init; }
    /// <summary>Held-out scenes, scored after every epoch (optional).</summary>
    public string? EvalScenes { get; init; }
    public required string Output { get; init; }
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WarmupRatio { get; init; } = 0.03;
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public long Seed { get; init; } = 42;
    public int? Threads { get; init; }

    public void Validate()
    {
        static void Check(bool ok, string field, string message)
        {
            if (!ok) throw new ArgumentException($"{field}: {message}");
        }
        Check(Directory.Exists(Model), "model", $"{Model} is not a folder");
        Check(File.Exists(Scenes), "scenes", $"{Scenes} does not exist");
        Check(EvalScenes is null || File.Exists(EvalScenes), "eval_scenes", $"{EvalScenes} does not exist");
        Check(Epochs >= 1, "epochs", "must be at least 1");
        Check(BatchSize >= 1, "batch_size", "must be at least 1");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", "must be positive");
        Check(WarmupRatio is >= 0 and < 1, "warmup_ratio", "must be in [0, 1)");
        Check(WeightDecay >= 0, "weight_decay", "must not be negative");
        Check(MaxGradNorm >= 0, "max_grad_norm", "must not be negative (0 disables clipping)");
        Check(Threads is null or >= 1, "threads", "must be at least 1");
    }
}
