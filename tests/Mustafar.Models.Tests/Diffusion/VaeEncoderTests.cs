using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Testing;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>Parity of the VAE encoder with diffusers' AutoencoderKL (vae fixture).</summary>
public sealed class VaeEncoderTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("vae");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [SkippableFact]
    public void Latent_mean_std_and_scaled_latent_match_diffusers()
    {
        var folder = ReferenceFixtures.Require("vae");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (vae, report) = VaeEncoderLoader.Load(folder, CPU, float32);
        using var __ = vae;
        var image = FixtureTensors.Read(folder, "inputs.safetensors")["image"];
        var outputs = FixtureTensors.Read(folder, "outputs.safetensors");

        using var latent = vae.Encode(image);
        FixtureTensors.AssertClose(outputs["latent_mean"], latent.Mean, 1e-4, "latent_mean");
        FixtureTensors.AssertClose(outputs["latent_logvar"], latent.LogVar, 1e-4, "latent_logvar");
        FixtureTensors.AssertClose(outputs["latent_std"], latent.Std(), 1e-4, "latent_std");
        FixtureTensors.AssertClose(outputs["latent_mean_scaled"], vae.Scale(latent.Mean), 1e-4, "latent_mean_scaled");
        output.WriteLine($"block_out_channels [{string.Join(", ", vae.Config.BlockOutChannels)}]: max |diff| latent_mean " +
            $"{FixtureTensors.MaxAbsDiff(outputs["latent_mean"], latent.Mean):E3}, latent_std {FixtureTensors.MaxAbsDiff(outputs["latent_std"], latent.Std()):E3}");
        // The decoder's weights are in the file, skipped and counted, never loaded.
        Assert.True(report.Ignored["decoder."] > 0);
        Assert.Contains("decoder.", report.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Legacy_attention_names_load_to_the_same_latent()
    {
        var folder = ReferenceFixtures.Require("vae");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var weights = FixtureTensors.Read(folder, "diffusion_pytorch_model.safetensors");
        var legacy = weights.ToDictionary(
            kv => kv.Key.Replace(".attentions.0.to_q.", ".attentions.0.query.", StringComparison.Ordinal)
                        .Replace(".attentions.0.to_k.", ".attentions.0.key.", StringComparison.Ordinal)
                        .Replace(".attentions.0.to_v.", ".attentions.0.value.", StringComparison.Ordinal)
                        .Replace(".attentions.0.to_out.0.", ".attentions.0.proj_attn.", StringComparison.Ordinal),
            kv => kv.Value);
        Assert.Contains("encoder.mid_block.attentions.0.query.weight", legacy.Keys);
        SafetensorsWriter.Write(Path.Combine(_folder, "diffusion_pytorch_model.safetensors"), legacy);
        File.Copy(Path.Combine(folder, "config.json"), Path.Combine(_folder, "config.json"));

        var image = FixtureTensors.Read(folder, "inputs.safetensors")["image"];
        var (current, _) = VaeEncoderLoader.Load(folder, CPU, float32);
        var (old, _) = VaeEncoderLoader.Load(_folder, CPU, float32);
        using (current)
        using (old)
            Assert.Equal(0.0, FixtureTensors.MaxAbsDiff(current.forward(image), old.forward(image)));
    }
}
