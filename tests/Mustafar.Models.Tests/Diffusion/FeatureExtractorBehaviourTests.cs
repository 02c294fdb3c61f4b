using System.Security.Cryptography;
using System.Text;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Diffusion;
using Mustafar.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>What the extractor promises callers, on a tiny random pipeline: determinism, batch independence,
/// which rows run, the echoed settings and precise errors.</summary>
public sealed class FeatureExtractorBehaviourTests(TinyPipelineFixture tiny, ITestOutputHelper output) : IClassFixture<TinyPipelineFixture>
{
    /// <summary>How far one request's features may move when it shares a batch with others. The computation per
    /// row is the same, but intra-op threads split batched kernels (SDPA, sgemm) by rows differently at different
    /// batch positions, so rounding differs: about 1e-6 on unit-scale features (0 with one thread). A repeated run of
    /// the same batch is the same computation and is compared bit for bit.</summary>
    private const double BatchCompositionTolerance = 1e-5;

    private StableDiffusionFeatureExtractor Extractor => tiny.Extractor;

    private FeatureRequest Request(string prompt = "what is shown in this image?", float scale = 4, ulong seed = 11) => new()
    {
        Image = tiny.Png, Prompt = prompt, GuidanceScale = scale, Seed = seed,
    };

    private Tensor Run(params FeatureRequest[] requests) => RunAll(requests)[0];

    private List<Tensor> RunAll(params FeatureRequest[] requests) =>
        Extractor.Extract(requests.Select(Extractor.Prepare).ToList()).Select(r => r.Features[0].Tokens).ToList();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void The_writer_makes_a_diffusers_layout_that_loads_strictly_and_describes_its_taps()
    {
        foreach (var part in new[] { "model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors", "vae/config.json",
                     "vae/diffusion_pytorch_model.safetensors", "text_encoder/config.json", "text_encoder/model.safetensors",
                     "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "scheduler/scheduler_config.json" })
            Assert.True(File.Exists(Path.Combine(tiny.Folder, part)), part);
        Assert.Contains(tiny.LoadLog, l => l.StartsWith("unet:", StringComparison.Ordinal));
        var info = Extractor.Info;
        Assert.Equal(("tiny-test", 64, 1000, 77, 50), (info.ModelId, info.ImageSize, info.NumTrainTimesteps, info.MaxPromptTokens, info.DefaultTimestep));
        Assert.Equal([DiffusionFeatureOptions.PaperTap], info.DefaultTaps);
        var paper = info.Taps.Single(t => t.Name == DiffusionFeatureOptions.PaperTap);
        // 64 px -> 8x8 latent; up block 1 works at the third level: 2x2, with the 32 channels of that level.
        Assert.Equal((2, 2, 32), (paper.GridHeight, paper.GridWidth, paper.Channels));
        Assert.Equal(Extractor.UNet.Catalog.Taps.Select(t => t.Name), info.Taps.Select(t => t.Name));
    }

    [Fact]
    public void The_same_request_and_seed_give_identical_features_and_other_seeds_differ()
    {
        using var scope = NewDisposeScope();
        var a = Run(Request());
        var b = Run(Request());
        var other = Run(Request(seed: 12));
        Assert.Equal(0.0, FixtureTensors.MaxAbsDiff(a, b));
        Assert.True(FixtureTensors.MaxAbsDiff(a, other) > 1e-3);
    }

    [Fact]
    public void A_request_gives_the_same_features_alone_and_inside_a_batch()
    {
        using var scope = NewDisposeScope();
        var alone = Run(Request());
        var batched = RunAll(
            Request(prompt: "a red car", seed: 5) with { Image = tiny.OtherPng },
            Request(),
            Request(scale: 0, seed: 99));
        var diff = FixtureTensors.MaxAbsDiff(alone, batched[1]);
        output.WriteLine($"alone vs batch of 3 (5 U-Net rows): max |diff| {diff:E3}");
        // Equal up to the rounding of batched kernels; the noise is per request, so nothing else differs.
        Assert.True(diff < BatchCompositionTolerance, $"{diff}");
    }

    [Fact]
    public void Guidance_zero_and_an_empty_prompt_run_only_the_unconditional_row_and_share_its_settings()
    {
        using var scope = NewDisposeScope();
        var zero = Extractor.Prepare(Request(scale: 0));
        var empty = Extractor.Prepare(Request(prompt: "  ", scale: 4));
        var unconditional = Extractor.Prepare(Request() with { Variant = ConditioningVariant.Unconditional });
        foreach (var prepared in new[] { zero, empty, unconditional })
        {
            Assert.Equal(1, prepared.Settings.UNetRows);
            Assert.False(prepared.RunsConditional);
            Assert.Equal(Sha256(""), prepared.Settings.PromptSha256);
            Assert.Equal(2, prepared.Settings.PromptTokens);
        }
        // Two identical unconditional rows at different positions of one batch: equal up to batch rounding.
        var results = Extractor.Extract([zero, unconditional]);
        var diff = FixtureTensors.MaxAbsDiff(results[0].Features[0].Tokens, results[1].Features[0].Tokens);
        output.WriteLine($"identical rows at batch positions 0 and 1: max |diff| {diff:E3}");
        Assert.True(diff < BatchCompositionTolerance, $"{diff}");
        Assert.Equal(0f, results[1].Settings.GuidanceScale);
    }

    [Fact]
    public void Guidance_scale_one_reproduces_the_conditional_features_and_settings_echo_the_request()
    {
        using var scope = NewDisposeScope();
        var guided = Extractor.Prepare(Request(scale: 1) with { Taps = ["U-L2-R2-Res-Out", "Mid-Out"], Timestep = 100 });
        var conditional = Extractor.Prepare(Request() with { Variant = ConditioningVariant.Conditional, Taps = ["U-L2-R2-Res-Out", "Mid-Out"], Timestep = 100 });
        Assert.Equal(2, guided.Settings.UNetRows);
        Assert.Equal(1, conditional.Settings.UNetRows);
        var results = Extractor.Extract([guided, conditional]);
        for (var i = 0; i < 2; i++)
            Assert.True(FixtureTensors.MaxAbsDiff(results[1].Features[i].Tokens, results[0].Features[i].Tokens) < BatchCompositionTolerance);

        var settings = results[0].Settings;
        Assert.Equal(("tiny-test", 100, 11UL, 1f, 64), (settings.ModelId, settings.Timestep, settings.Seed, settings.GuidanceScale, settings.ImageSize));
        Assert.Equal(["U-L2-R2-Res-Out", "Mid-Out"], settings.Taps);
        Assert.Equal(Sha256("what is shown in this image?"), settings.PromptSha256);
        var midOut = results[0].Features[1];
        Assert.Equal(new long[] { midOut.GridHeight * midOut.GridWidth, midOut.Channels }, midOut.Tokens.shape);
    }

    [Fact]
    public void A_sampled_latent_is_seeded_and_differs_from_the_mean()
    {
        using var scope = NewDisposeScope();
        var sample = Request() with { LatentMode = LatentSampling.Sample };
        var a = Run(sample);
        var b = Run(sample);
        Assert.Equal(0.0, FixtureTensors.MaxAbsDiff(a, b));
        Assert.True(FixtureTensors.MaxAbsDiff(a, Run(Request())) > 0);
    }

    [Theory]
    [InlineData("timestep")]
    [InlineData("guidance_scale")]
    [InlineData("taps")]
    [InlineData("prompt")]
    [InlineData("image")]
    public void Bad_requests_fail_naming_the_field(string field)
    {
        var bad = field switch
        {
            "timestep" => Request() with { Timestep = 1000 },
            "guidance_scale" => Request(scale: float.NaN),
            "taps" => Request() with { Taps = ["U-L1-R1-B0-Cross-K"] },
            "prompt" => Request(prompt: string.Join(' ', Enumerable.Repeat("cat", 100))),
            _ => Request() with { Image = Encoding.ASCII.GetBytes("not an image") },
        };
        var error = Assert.Throws<InvalidInputException>(() => Extractor.Prepare(bad));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void The_guidance_scale_is_bounded_at_100()
    {
        Assert.Equal(GuidanceScale.Max, Extractor.Prepare(Request(scale: GuidanceScale.Max)).Settings.GuidanceScale);
        var error = Assert.Throws<InvalidInputException>(() => Extractor.Prepare(Request(scale: 1e30f)));
        Assert.Equal("guidance_scale", error.Field);
    }

    [Fact]
    public void Long_prompts_can_be_truncated_and_conditional_needs_a_prompt()
    {
        var truncated = Extractor.Prepare(Request(prompt: string.Join(' ', Enumerable.Repeat("cat", 100))) with { TruncatePrompt = true });
        Assert.True(truncated.Settings.PromptTruncated);
        Assert.Equal(77, truncated.Settings.PromptTokens);
        var error = Assert.Throws<InvalidInputException>(() => Extractor.Prepare(Request(prompt: "") with { Variant = ConditioningVariant.Conditional }));
        Assert.Equal("prompt", error.Field);
    }

    [Fact]
    public void Prepare_runs_concurrently_off_the_inference_thread_with_the_same_results()
    {
        var prompts = Enumerable.Range(0, 24).Select(i => $"what colour is the car number {i}? describe the {i % 5} people").ToArray();
        var sequential = prompts.Select(p => Extractor.Prepare(Request(prompt: p))).ToArray();
        var concurrent = new PreparedFeatureRequest[prompts.Length];
        Parallel.For(0, prompts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => concurrent[i] = Extractor.Prepare(Request(prompt: prompts[i])));
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(sequential[i].PromptIds, concurrent[i].PromptIds);
            Assert.Equal(sequential[i].Pixels, concurrent[i].Pixels);
            Assert.Equal(sequential[i].Settings, concurrent[i].Settings with { Taps = sequential[i].Settings.Taps });
        }
    }

    [Fact]
    public void Incompatible_or_oversized_batches_are_refused()
    {
        var a = Extractor.Prepare(Request());
        var other = Extractor.Prepare(Request() with { Timestep = 10 });
        Assert.Throws<ArgumentException>(() => Extractor.Extract([a, other]));
        var tooMany = Enumerable.Repeat(a, Extractor.Info.MaxBatchRows / 2 + 1).ToList();
        Assert.Throws<ArgumentException>(() => Extractor.Extract(tooMany));
    }
}

/// <summary>Loading the same pipeline in half precision: weights convert while copying and features stay close.</summary>
public sealed class FeatureExtractorDTypeTests(TinyPipelineFixture tiny, ITestOutputHelper output) : IClassFixture<TinyPipelineFixture>
{
    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void A_half_precision_pipeline_gives_features_close_to_float32(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var half = StableDiffusionFeatureExtractor.Load(tiny.Folder, new DiffusionFeatureOptions { DType = dtype });
        Assert.Equal(dtype, half.UNet.parameters().First().dtype);
        // force_upcast keeps the VAE in float32 for float16, as diffusers does.
        Assert.Equal(dtype == ScalarType.Float16 ? ScalarType.Float32 : dtype, half.Vae.parameters().First().dtype);
        var request = new FeatureRequest { Image = tiny.Png, Prompt = "a photo of a cat", GuidanceScale = 1, Seed = 3 };
        var reference = tiny.Extractor.Extract([tiny.Extractor.Prepare(request)])[0].Features[0].Tokens;
        var features = half.Extract([half.Prepare(request)])[0].Features[0].Tokens;
        Assert.Equal(dtype, features.dtype);
        var relative = FixtureTensors.MaxAbsDiff(reference, features) / reference.abs().max().item<float>();
        output.WriteLine($"{dtype}: max |diff| / max |f| = {relative:E3}");
        Assert.True(relative < 0.1, $"{relative}");
    }

    [Fact]
    public void A_weight_variant_loads_from_its_own_files()
    {
        var folder = Testing.RepoPaths.NewTempFolder("sd-variant");
        try
        {
            using var scope = NewDisposeScope();
            foreach (var file in Directory.EnumerateFiles(tiny.Folder, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(folder, Path.GetRelativePath(tiny.Folder, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (!file.EndsWith(".safetensors", StringComparison.Ordinal))
                {
                    File.Copy(file, target);
                    continue;
                }
                // diffusers' fp16 variant: the same keys in float16, in "<name>.fp16.safetensors".
                var weights = FixtureTensors.Read(Path.GetDirectoryName(file)!, Path.GetFileName(file));
                SafetensorsWriter.Write(target.Replace(".safetensors", ".fp16.safetensors", StringComparison.Ordinal),
                    weights.ToDictionary(kv => kv.Key, kv => kv.Value.to(float16)));
            }
            using var variant = StableDiffusionFeatureExtractor.Load(folder, new DiffusionFeatureOptions { WeightVariant = "fp16" });
            Assert.Equal(ScalarType.Float32, variant.UNet.parameters().First().dtype);
            Assert.Throws<FileNotFoundException>(() => StableDiffusionFeatureExtractor.Load(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
