using System.Text.Json;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Tensors;
using Mustafar.Testing;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>Parity of the U-Net and all its named taps with diffusers' UNet2DConditionModel (unet fixture).</summary>
public sealed class UNetTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Finalizes now what the test left: a tap tensor lost by its dispose scope crashes the finalizer
    /// thread (and so this run) here rather than in some later test.</summary>
    public void Dispose()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    private sealed record Fixture(UNet2DConditionModel UNet, Dictionary<string, Tensor> Inputs, Dictionary<string, Tensor> Outputs, JsonElement Case);

    private static Fixture Load()
    {
        var folder = ReferenceFixtures.Require("unet");
        var (unet, _) = UNetLoader.Load(folder, CPU, float32);
        return new Fixture(unet, FixtureTensors.Read(folder, "inputs.safetensors"), FixtureTensors.Read(folder, "outputs.safetensors"),
            ReferenceFixtures.Case("unet"));
    }

    /// <summary>The tap names the fixture stores (every output except the final sample).</summary>
    private static List<string> FixtureTaps(Fixture f) =>
        f.Case.GetProperty("shapes").EnumerateObject().Select(p => p.Name)
            .Where(n => f.Outputs.ContainsKey(n) && n != "sample_out").ToList();

    /// <summary>The fixture stores token taps as [b, h*w, c]; the model returns [b, c, h, w].</summary>
    private static Tensor AsMap(Tensor expected, Tensor actual) =>
        expected.dim() == 3 ? expected.view(actual.shape[0], actual.shape[2], actual.shape[3], actual.shape[1]).permute(0, 3, 1, 2)
        : expected.dim() == 2 ? expected.view(expected.shape[0], expected.shape[1], 1, 1)
        : expected;

    [SkippableFact]
    public void Sample_and_every_named_tap_match_diffusers()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var f = Load();
        using var unet = f.UNet;
        var (sample, t, context) = (f.Inputs["sample"], f.Inputs["timestep"], f.Inputs["encoder_hidden_states"]);

        FixtureTensors.AssertClose(f.Outputs["sample_out"], unet.forward(sample, t, context), 1e-4, "sample_out");
        var taps = FixtureTaps(f);
        Assert.True(taps.Count > 0);
        var result = unet.Run(sample, t, context, taps);
        var worst = 0.0;
        foreach (var name in taps)
        {
            var actual = result.Taps[name];
            worst = Math.Max(worst, FixtureTensors.AssertClose(AsMap(f.Outputs[name], actual), actual, 1e-4, name));
        }
        output.WriteLine($"{taps.Count} taps, worst max |diff| {worst:E3}");
    }

    [SkippableFact]
    public void The_catalog_lists_every_fixture_tap_with_its_shape_and_every_listed_tap_is_produced()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var f = Load();
        using var unet = f.UNet;
        var sample = f.Inputs["sample"];
        var described = unet.Catalog.Describe((int)sample.shape[2], (int)sample.shape[3]).ToDictionary(t => t.Name);
        foreach (var name in FixtureTaps(f))
        {
            var expected = f.Outputs[name];
            var info = described[name];
            var channels = expected.dim() == 4 ? expected.shape[1] : expected.shape[^1];
            Assert.Equal(channels, info.Channels);
            if (expected.dim() == 4) Assert.Equal((expected.shape[2], expected.shape[3]), ((long)info.GridHeight, (long)info.GridWidth));
            if (expected.dim() == 3) Assert.Equal(expected.shape[1], (long)info.GridHeight * info.GridWidth);
        }

        var all = unet.Run(sample, f.Inputs["timestep"], f.Inputs["encoder_hidden_states"], described.Keys.ToList());
        Assert.Null(all.Sample);
        foreach (var (name, info) in described)
            Assert.Equal(new long[] { sample.shape[0], info.Channels, info.GridHeight, info.GridWidth }, all.Taps[name].shape);
    }

    [SkippableFact]
    public void An_early_stop_gives_the_same_tap_as_the_full_pass_and_skips_the_rest()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var f = Load();
        using var unet = f.UNet;
        var (sample, t, context) = (f.Inputs["sample"], f.Inputs["timestep"], f.Inputs["encoder_hidden_states"]);
        var tap = unet.Catalog.Taps.First(x => x.Name.EndsWith("-Cross-Q", StringComparison.Ordinal) && x.Name.StartsWith("U-", StringComparison.Ordinal)).Name;
        var last = unet.Catalog.Taps[^1].Name;

        var early = unet.Run(sample, t, context, [tap]);
        var full = unet.Run(sample, t, context, [tap, last]);
        Assert.Null(early.Sample);
        Assert.Equal(0.0, FixtureTensors.MaxAbsDiff(full.Taps[tap], early.Taps[tap]));
        Assert.Single(early.Taps);
    }

    [SkippableFact]
    public void Unknown_and_repeated_taps_are_refused_naming_the_tap()
    {
        using var scope = NewDisposeScope();
        var f = Load();
        using var unet = f.UNet;
        var (sample, t, context) = (f.Inputs["sample"], f.Inputs["timestep"], f.Inputs["encoder_hidden_states"]);
        var unknown = Assert.Throws<InvalidInputException>(() => unet.Run(sample, t, context, ["U-L9-R0-Res-Out"]));
        Assert.Equal("taps", unknown.Field);
        Assert.Contains("'U-L9-R0-Res-Out'", unknown.Reason, StringComparison.Ordinal);
        Assert.Contains("GetModelInfo", unknown.Reason, StringComparison.Ordinal);
        Assert.Throws<InvalidInputException>(() => unet.Run(sample, t, context, ["Mid-Out", "Mid-Out"]));
    }
}
