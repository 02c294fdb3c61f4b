namespace Mustafar.Data.Synth;

/// <param name="Seed">Fixes the whole set: the same seed and count give byte-identical files.</param>
/// <param name="Count">Items (one scene and one question each).</param>
/// <param name="Split">Names the files (`train.json`, `images/train-000000.png`); the content depends on the seed only.</param>
/// <param name="ImageSize">Image side in pixels. 224 by default: ViT-B/16's size and exactly 8 times the demo CLIP's 28,
/// so both preprocessors resize without cropping anything.</param>
public sealed record SynthOptions(int Seed, int Count, string Split = "train", int ImageSize = 224);
