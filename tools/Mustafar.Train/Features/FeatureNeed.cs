namespace Mustafar.Train.Features;

/// <summary>What one training example will ask an <see cref="IFeatureSource"/> for: the image's CLIP feature (unless
/// a trained tower computes it), and its diffusion feature for this prompt (null: the checkpoint uses none).</summary>
public sealed record FeatureNeed(string Image, bool Clip, string? DiffusionPrompt);
