using Mustafar.Models.Diffusion;
using Mustafar.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>Never repeating the VAE's work: a request can take back the image's clean latent and a later one can
/// bring it instead of the image; the HALVES variant returns both halves of one pass. On a tiny random pipeline.</summary>
public sealed class LatentReuseTests(TinyPipelineFixture tiny, ITestOutputHelper output) : IClassFixture<TinyPipelineFixture>
{
    private StableDiffusionFeatureExtractor Extractor => tiny.Extractor;

    private FeatureRequest Request(ConditioningVariant variant, LatentSampling mode = LatentSampling.Mean) => new()
    {
        Image = tiny.Png, Prompt = "what is shown in this image?", Seed = 11, Variant = variant, LatentMode = mode,
        Taps = [DiffusionFeatureOptions.PaperTap, "Mid-Out"],
    };

    [Theory]
    [InlineData(LatentSampling.Mean)]
    [InlineData(LatentSampling.Sample)]
    public void A_request_that_brings_the_returned_latent_gets_the_features_of_the_image_without_the_vae(LatentSampling mode)
    {
        using var scope = NewDisposeScope();
        var fromImage = Extractor.Extract([Extractor.Prepare(Request(ConditioningVariant.Conditional, mode) with { ReturnLatent = true })])[0];
        Assert.True(fromImage.Settings.VaeRan);
        var latent = fromImage.Latent!;
        Assert.Equal(new long[] { Extractor.Info.LatentChannels, Extractor.Info.LatentSize, Extractor.Info.LatentSize }, latent.shape);

        var prepared = Extractor.Prepare(Request(ConditioningVariant.Conditional, mode) with
        {
            Image = ReadOnlyMemory<byte>.Empty, Latent = latent.to(float32).data<float>().ToArray(),
        });
        Assert.Null(prepared.Pixels);
        var fromLatent = Extractor.Extract([prepared])[0];
        Assert.False(fromLatent.Settings.VaeRan);
        Assert.Null(fromLatent.Latent);
        for (var i = 0; i < 2; i++)
        {
            // The same computation from the U-Net on (SAMPLE mode draws the noise after the latent sample, both ways).
            var diff = FixtureTensors.MaxAbsDiff(fromImage.Features[i].Tokens, fromLatent.Features[i].Tokens);
            output.WriteLine($"{mode} {fromImage.Features[i].Tap}: max |diff| {diff:E3}");
            Assert.Equal(0.0, diff);
        }
    }

    [Fact]
    public void Halves_returns_the_conditional_and_unconditional_features_of_one_two_row_pass()
    {
        using var scope = NewDisposeScope();
        var halves = Extractor.Prepare(Request(ConditioningVariant.Halves));
        Assert.Equal(2, halves.UNetRows);
        var both = Extractor.Extract([halves])[0];
        var guided = Extractor.Extract([Extractor.Prepare(Request(ConditioningVariant.Guided) with { GuidanceScale = 4 })])[0];
        // A guided request runs the very same two rows; its features are f_u + 4 (f_c - f_u) of these halves.
        for (var i = 0; i < 2; i++)
        {
            var (fc, fu) = (both.Features[i].Tokens, both.UnconditionalFeatures![i].Tokens);
            Assert.Equal(both.Features[i].Tap, both.UnconditionalFeatures[i].Tap);
            Assert.True(FixtureTensors.MaxAbsDiff(fc, fu) > 1e-4, "the halves differ");
            var combined = FeatureGuidance.Combine(fc, fu, 4);
            Assert.True(FixtureTensors.MaxAbsDiff(guided.Features[i].Tokens, combined) < 1e-5);
        }
        Assert.Equal(ConditioningVariant.Halves, both.Settings.Variant);
        Assert.Equal(0f, both.Settings.GuidanceScale);
    }

    [Fact]
    public void Bad_latents_and_an_empty_halves_prompt_are_refused_naming_the_field()
    {
        var size = (int)(Extractor.Info.LatentChannels * Extractor.Info.LatentSize * Extractor.Info.LatentSize);
        var request = Request(ConditioningVariant.Conditional) with { Image = ReadOnlyMemory<byte>.Empty };
        Assert.Equal("latent", Assert.Throws<InvalidInputException>(() => Extractor.Prepare(request with { Latent = new float[size - 1] })).Field);
        var nan = new float[size];
        nan[3] = float.NaN;
        Assert.Equal("latent", Assert.Throws<InvalidInputException>(() => Extractor.Prepare(request with { Latent = nan })).Field);
        Assert.Equal("latent", Assert.Throws<InvalidInputException>(() => Extractor.Prepare(request with { Image = tiny.Png, Latent = new float[size] })).Field);
        Assert.Equal("prompt", Assert.Throws<InvalidInputException>(() => Extractor.Prepare(Request(ConditioningVariant.Halves) with { Prompt = "" })).Field);
    }
}
