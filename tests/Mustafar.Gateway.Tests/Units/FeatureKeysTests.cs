using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Tensors.FeatureCaching;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.Tests.Units;

public sealed class FeatureKeysTests
{
    private const string Image = "ab12";
    private static readonly ClipFeatureSettings Clip = new("openai/clip-vit-large-patch14-336", 23, FeatureSelect.Patch, ImageAspect.Pad, 336, new ExpectedFeature(576, 1024, DType.Float16));
    private static readonly DiffusionHalfSettings Conditional = new("sd-2.1", 50, 42, "U-L1-R1-B0-Cross-Q", FeatureVariant.Conditional, "What is it?", 512, LatentMode.Mean, new ExpectedFeature(256, 1280, DType.Float16));

    [Fact]
    public void Every_clip_setting_changes_the_key()
    {
        var key = FeatureKeys.Clip("m:", Image, Clip);
        ClipFeatureSettings[] variants =
        [
            Clip with { ModelId = "other" }, Clip with { SelectLayer = 22 }, Clip with { Select = FeatureSelect.ClsPatch },
            Clip with { Aspect = ImageAspect.Crop }, Clip with { ImageSize = 224 }, Clip with { Value = new ExpectedFeature(576, 1024, DType.Float32) },
            Clip with { Value = new ExpectedFeature(577, 1024, DType.Float16) }, Clip with { Value = new ExpectedFeature(576, 768, DType.Float16) },
        ];
        Assert.All(variants, v => Assert.NotEqual(key, FeatureKeys.Clip("m:", Image, v)));
        Assert.NotEqual(key, FeatureKeys.Clip("m:", "cd34", Clip));
        Assert.NotEqual(key, FeatureKeys.Clip("other:", Image, Clip));
        Assert.Equal(key, FeatureKeys.Clip("m:", Image, Clip with { }));
        Assert.Contains($"v{FeatureCacheFormat.Version}:", key);
        Assert.Contains("openai%2Fclip-vit-large-patch14-336", key); // free text cannot forge separators
    }

    [Fact]
    public void Every_diffusion_setting_changes_the_key_and_the_unconditional_half_ignores_the_prompt()
    {
        var key = FeatureKeys.Diffusion("m:", Image, Conditional);
        DiffusionHalfSettings[] variants =
        [
            Conditional with { ModelId = "other" }, Conditional with { Timestep = 51 }, Conditional with { Seed = 43 },
            Conditional with { Tap = "U-L1-R0-B0-Cross-Q" }, Conditional with { Prompt = "What is that?" }, Conditional with { ImageSize = 768 },
            Conditional with { LatentMode = LatentMode.Sample }, Conditional with { Value = new ExpectedFeature(256, 1280, DType.Bfloat16) },
            Conditional with { Value = new ExpectedFeature(1024, 1280, DType.Float16) }, Conditional with { Value = new ExpectedFeature(256, 640, DType.Float16) },
            Conditional with { Variant = FeatureVariant.Unconditional, Prompt = "" },
        ];
        Assert.All(variants, v => Assert.NotEqual(key, FeatureKeys.Diffusion("m:", Image, v)));
        Assert.DoesNotContain("What is it", key); // the prompt enters as its hash only

        var unconditional = Conditional with { Variant = FeatureVariant.Unconditional, Prompt = "" };
        Assert.Equal(FeatureKeys.Diffusion("m:", Image, unconditional),
            FeatureKeys.Diffusion("m:", Image, unconditional with { Prompt = "" }));
    }

    [Fact]
    public void The_latent_key_names_model_image_size_mode_and_shape_and_the_seed_only_when_sampled()
    {
        var latent = new DiffusionLatentSettings("sd-2.1", 512, LatentMode.Mean, 42, new ExpectedFeature(DType.Float32, 4, 64, 64));
        var key = FeatureKeys.DiffusionLatent("m:", Image, latent);
        DiffusionLatentSettings[] variants =
        [
            latent with { ModelId = "other" }, latent with { ImageSize = 768 }, latent with { LatentMode = LatentMode.Sample },
            latent with { Value = new ExpectedFeature(DType.Bfloat16, 4, 64, 64) }, latent with { Value = new ExpectedFeature(DType.Float32, 4, 96, 96) },
        ];
        Assert.All(variants, v => Assert.NotEqual(key, FeatureKeys.DiffusionLatent("m:", Image, v)));
        Assert.NotEqual(key, FeatureKeys.DiffusionLatent("m:", "cd34", latent));
        Assert.Contains("shape=4x64x64:dtype=float32", key);
        Assert.Equal(key, FeatureKeys.DiffusionLatent("m:", Image, latent with { Seed = 43 })); // the mean ignores the seed
        var sampled = latent with { LatentMode = LatentMode.Sample };
        Assert.NotEqual(FeatureKeys.DiffusionLatent("m:", Image, sampled), FeatureKeys.DiffusionLatent("m:", Image, sampled with { Seed = 43 }));
        // Never the key of a half, whatever the settings.
        Assert.NotEqual(key, FeatureKeys.Diffusion("m:", Image, Conditional with { Variant = FeatureVariant.Unconditional, Prompt = "" }));
    }

    [Fact]
    public void Cache_values_round_trip_and_other_versions_read_as_misses()
    {
        var tensor = TensorCodec.FromFloat32([1f, -2f, 3.5f, 0f], [2, 2], DType.Float16);
        var bytes = FeatureCacheFormat.Encode(new FeatureValue(tensor));
        Assert.Equal(new FeatureValue(tensor), FeatureCacheFormat.TryDecode(bytes));
        Assert.Equal(new FeatureValue(tensor, PromptTruncated: true),
            FeatureCacheFormat.TryDecode(FeatureCacheFormat.Encode(new FeatureValue(tensor, PromptTruncated: true))));

        var otherVersion = (byte[])bytes.Clone();
        otherVersion[3] = (byte)(FeatureCacheFormat.Version + 1);
        Assert.Null(FeatureCacheFormat.TryDecode(otherVersion));
        Assert.Null(FeatureCacheFormat.TryDecode("MFC"u8));
        Assert.Null(FeatureCacheFormat.TryDecode([.. "MFC"u8, FeatureCacheFormat.Version, 0, 0xFF, 0xFF, 0xFF]));
        var unknownFlag = (byte[])bytes.Clone();
        unknownFlag[4] = 0x80;
        Assert.Null(FeatureCacheFormat.TryDecode(unknownFlag));
    }
}
