using Mustafar.Models.Clip;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Testing;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Demo;

public sealed class DemoCheckpointsTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("demo");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(FusionKind.CrossAttention)]
    [InlineData(FusionKind.ConcatTokens)]
    [InlineData(FusionKind.ClipOnly)]
    public void The_three_services_models_agree_on_every_feature_shape(FusionKind fusion)
    {
        var written = DemoCheckpoints.Ensure(_folder, seed: 5, fusion);

        using var clip = ClipVisionEncoder.Load(written.Paths.Clip, "cpu", ScalarType.Float32);
        using var diffusion = StableDiffusionFeatureExtractor.Load(written.Paths.Diffusion);
        using var generator = GeneratorModel.Load(written.Paths.Generator);

        Assert.Equal(fusion, generator.Info.FusionMode);
        foreach (var spec in generator.Info.ExpectedFeatures)
        {
            if (spec.Source == VisualFeatureSource.Clip)
            {
                Assert.Equal(clip.Info.HiddenSize, spec.Channels);
                Assert.Equal(clip.Info.GridHeight * clip.Info.GridWidth, spec.Tokens);
            }
            else
            {
                var tap = diffusion.Info.Taps.Single(t => t.Name == spec.DiffusionTap);
                Assert.Equal((tap.GridHeight * tap.GridWidth, tap.Channels), (spec.Tokens, spec.Channels));
            }
        }
        Assert.Equal(fusion == FusionKind.ClipOnly ? 1 : 2, generator.Info.ExpectedFeatures.Count);
    }

    [Fact]
    public void A_second_call_reuses_the_checkpoints_and_a_different_mode_rewrites_them()
    {
        var first = DemoCheckpoints.Ensure(_folder, seed: 5, FusionKind.ClipOnly);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(_folder, DemoCheckpoints.StampFile));

        Assert.False(first.Reused);
        Assert.True(DemoCheckpoints.Ensure(_folder, seed: 5, FusionKind.ClipOnly).Reused);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(_folder, DemoCheckpoints.StampFile)));

        var rewritten = DemoCheckpoints.Ensure(_folder, seed: 5, FusionKind.ConcatTokens);
        Assert.False(rewritten.Reused);
        using var generator = GeneratorModel.Load(rewritten.Paths.Generator);
        Assert.Equal(FusionKind.ConcatTokens, generator.Info.FusionMode);
    }
}
