using System.Text.Json;
using Mustafar.Models.Diffusion;
using Mustafar.Tensors;
using Mustafar.Testing;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>The end-to-end feature extraction against diffusion_features/ (VAE mean, noise at t, U-Net on
/// [conditional, unconditional], the tap, feature guidance), through the public extractor API.</summary>
public sealed class DiffusionFeaturesTests(ITestOutputHelper output) : IDisposable
{
    private const string PaperTap = DiffusionFeatureOptions.PaperTap;
    private readonly FixturePipeline _pipeline = new();

    public void Dispose() => _pipeline.Dispose();

    private sealed record Reference(string Folder, Dictionary<string, Tensor> Inputs, Dictionary<string, Tensor> Outputs, string Prompt, byte[] ImageBytes)
    {
        public int ImageSize => (int)Inputs["image"].shape[^1];
        public int Timestep => (int)Inputs["timestep"].item<long>();
    }

    private static Reference LoadReference()
    {
        var folder = ReferenceFixtures.Require("diffusion_features");
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ReferenceFixtures.Directory, "manifest.json")));
        var prompt = manifest.RootElement.GetProperty("knobs").GetProperty("prompt").GetString()!;
        var image = File.ReadAllBytes(Path.Combine(ReferenceFixtures.Require("clip_preprocess"), "test_image.png"));
        return new Reference(folder, FixtureTensors.Read(folder, "inputs.safetensors"), FixtureTensors.Read(folder, "outputs.safetensors"), prompt, image);
    }

    private StableDiffusionFeatureExtractor Load(Reference reference, List<string>? log = null, INoiseSource? noise = null) =>
        StableDiffusionFeatureExtractor.Load(_pipeline.Folder, new DiffusionFeatureOptions
        {
            ImageSize = reference.ImageSize, ModelId = "fixture", Noise = noise ?? SeededNoise.Instance,
        }, log is null ? null : log.Add);

    /// <summary>The reference's own noise (drawn by PyTorch's generator, which TorchSharp's does not reproduce) for every request.</summary>
    private sealed class ReferenceNoise(Tensor noise) : INoiseSource
    {
        public Tensor Noise(PreparedFeatureRequest request, long[] shape, Generator generator) => noise.alias();
    }

    /// <summary>The fixture's [1, h*w, c] tokens or [1, c, h, w] map (row <paramref name="row"/> of 2), as [h*w, c].</summary>
    private static Tensor Tokens(Tensor stored, int row) =>
        stored.dim() == 4 ? stored[row].permute(1, 2, 0).reshape(-1, stored.shape[1]) : stored[row];

    [SkippableFact]
    public void Features_for_every_variant_and_scale_match_the_reference_in_one_batch()
    {
        using var scope = NewDisposeScope();
        var reference = LoadReference();
        var log = new List<string>();
        using var extractor = Load(reference, log, new ReferenceNoise(reference.Inputs["noise"]));
        Assert.Contains(log, line => line.StartsWith("vae:", StringComparison.Ordinal) && line.Contains("decoder.", StringComparison.Ordinal));
        string[] taps = [PaperTap, .. new[] { "U-L1-R1-B0-Out", "U-L2-R2-Res-Out", "D-L2-R0-B0-Cross-Q" }.Where(reference.Outputs.ContainsKey)];
        FeatureRequest Request(ConditioningVariant variant, float scale = 0) => new()
        {
            Image = reference.ImageBytes, Prompt = reference.Prompt, Timestep = reference.Timestep,
            GuidanceScale = scale, Taps = taps, Variant = variant,
        };
        var scales = reference.Outputs.Keys.Where(k => k.StartsWith("guided_s", StringComparison.Ordinal))
            .Select(k => int.Parse(k["guided_s".Length..])).Order().ToList();
        var requests = new List<FeatureRequest> { Request(ConditioningVariant.Conditional), Request(ConditioningVariant.Unconditional) };
        requests.AddRange(scales.Select(s => Request(ConditioningVariant.Guided, s)));
        var prepared = requests.Select(extractor.Prepare).ToList();

        // Preprocessing: decode + PIL bicubic resize + [-1, 1], and the SD 2 tokenization of the prompt.
        FixtureTensors.AssertClose(reference.Inputs["image"][0], tensor(prepared[0].Pixels!).view(3, reference.ImageSize, reference.ImageSize), 1e-6, "image");
        Assert.Equal(reference.Inputs["input_ids"][0].data<long>().ToArray(), prepared[0].PromptIds);

        var results = extractor.Extract(prepared);
        var worst = 0.0;
        void Check(Tensor expected, FeatureResult result, string tap, string what) =>
            worst = Math.Max(worst, FixtureTensors.AssertClose(expected, result.Features.Single(f => f.Tap == tap).Tokens, 1e-4, what));

        Check(Tokens(reference.Outputs["f_cond"], 0), results[0], PaperTap, "f_cond");
        Check(Tokens(reference.Outputs["f_uncond"], 0), results[1], PaperTap, "f_uncond");
        foreach (var extra in taps.Skip(1))
        {
            Check(Tokens(reference.Outputs[extra], 0), results[0], extra, $"{extra} conditional");
            Check(Tokens(reference.Outputs[extra], 1), results[1], extra, $"{extra} unconditional");
        }
        for (var i = 0; i < scales.Count; i++)
            Check(Tokens(reference.Outputs[$"guided_s{scales[i]}"], 0), results[2 + i], PaperTap, $"guided_s{scales[i]}");
        output.WriteLine($"worst max |diff| over {results.Count} requests: {worst:E3}");

        var paper = results[0].Features[0];
        var expectedShape = reference.Outputs[PaperTap].shape;
        Assert.Equal(expectedShape[1], (long)paper.GridHeight * paper.GridWidth);
        Assert.Equal(expectedShape[2], paper.Channels);
        // One U-Net row for the single variants and for s = 0, two for real guidance.
        Assert.Equal(requests.Select(r => r.Variant == ConditioningVariant.Guided && r.GuidanceScale != 0 ? 2 : 1),
            results.Select(r => r.Settings.UNetRows));
    }
}
