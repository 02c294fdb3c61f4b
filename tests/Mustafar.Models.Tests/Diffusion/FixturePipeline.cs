using System.Text.Json;
using Mustafar.Testing;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>A diffusers pipeline folder assembled from the separate reference fixtures (links, no copies), as
/// diffusion_features/case.json names them in models_used.</summary>
internal sealed class FixturePipeline : IDisposable
{
    public string Folder { get; } = RepoPaths.NewTempFolder("sd-fixture-pipeline");

    public FixturePipeline()
    {
        var used = ReferenceFixtures.Case("diffusion_features").GetProperty("models_used");
        var featuresFolder = ReferenceFixtures.Require("diffusion_features");
        string Source(string component)
        {
            // "../clip_tokenizer (SD2 variant, pad '!'=0)" -> the folder before any comment.
            var relative = used.GetProperty(component).GetString()!.Split(' ')[0];
            return Path.GetFullPath(Path.Combine(featuresFolder, relative));
        }
        foreach (var component in new[] { "unet", "vae", "text_encoder", "tokenizer", "scheduler" })
            Directory.CreateSymbolicLink(Path.Combine(Folder, component), Source(component));
        File.WriteAllText(Path.Combine(Folder, "model_index.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_class_name"] = "StableDiffusionPipeline",
            ["unet"] = new[] { "diffusers", "UNet2DConditionModel" },
            ["vae"] = new[] { "diffusers", "AutoencoderKL" },
            ["text_encoder"] = new[] { "transformers", "CLIPTextModel" },
            ["tokenizer"] = new[] { "transformers", "CLIPTokenizer" },
            ["scheduler"] = new[] { "diffusers", "DDPMScheduler" },
        }));
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
