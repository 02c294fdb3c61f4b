using System.Text.Json.Nodes;

namespace Mustafar.Models.Diffusion;

/// <summary>
/// A diffusers Stable Diffusion folder: <c>model_index.json</c> naming the components, and the subfolders
/// <c>unet/</c>, <c>vae/</c>, <c>text_encoder/</c>, <c>tokenizer/</c> and <c>scheduler/</c>. Components whose
/// classes this extractor does not implement fail here, before any weight is read.
/// </summary>
internal sealed record DiffusionPipelineLayout(string Root, string UNet, string Vae, string TextEncoder, string Tokenizer, string SchedulerConfig)
{
    private static readonly (string Component, string[] Classes)[] Expected =
    [
        ("unet", ["UNet2DConditionModel"]),
        ("vae", ["AutoencoderKL"]),
        ("text_encoder", ["CLIPTextModel"]),
        ("tokenizer", ["CLIPTokenizer", "CLIPTokenizerFast"]),
    ];

    public static DiffusionPipelineLayout Open(string root)
    {
        var index = Path.Combine(root, "model_index.json");
        if (!File.Exists(index)) throw new FileNotFoundException($"'{root}' is not a diffusers pipeline folder: model_index.json is missing");
        var components = JsonNode.Parse(File.ReadAllText(index)) as JsonObject
            ?? throw new InvalidDataException($"{index}: not a JSON object");
        foreach (var (component, classes) in Expected)
        {
            if (components[component] is not JsonArray { Count: 2 } entry || entry[1]?.GetValue<string>() is not { } className)
                throw new InvalidDataException($"{index}: component '{component}' is missing");
            if (!classes.Contains(className))
                throw new NotSupportedException($"{index}: {component} is a {className}; this extractor implements {string.Join(" or ", classes)}");
        }
        string Folder(string name) =>
            Directory.Exists(Path.Combine(root, name)) ? Path.Combine(root, name)
                : throw new DirectoryNotFoundException($"{root}: the '{name}/' folder named by model_index.json is missing");
        var scheduler = Path.Combine(Folder("scheduler"), "scheduler_config.json");
        if (!File.Exists(scheduler)) throw new FileNotFoundException($"'{scheduler}' does not exist");
        return new DiffusionPipelineLayout(root, Folder("unet"), Folder("vae"), Folder("text_encoder"), Folder("tokenizer"), scheduler);
    }
}
