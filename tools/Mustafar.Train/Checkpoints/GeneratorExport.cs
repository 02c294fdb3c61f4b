using Mustafar.CheckpointWriters;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Train.Features;
using static TorchSharp.torch;

namespace Mustafar.Train.Checkpoints;

/// <summary>
/// Writes the trained model as a generator checkpoint folder in the llava-hf layout, loadable as it is: the starting
/// checkpoint's config.json (its mustafar_fusion.diffusion settings replaced by those trained with), tokenizer and
/// generation files copied, and model.safetensors with every module weight under its state-dict key (the fusion
/// modules under the config's prefixes) plus the starting checkpoint's tensors the generator does not build (the
/// vision tower, which the CLIP service loads from the same folder, copied unchanged unless it was trained).
/// </summary>
public static class GeneratorExport
{
    public const string WeightsFile = "model.safetensors";

    public static void Write(string folder, string initFolder, LlavaForConditionalGeneration model, ScalarType saveDType,
        DiffusionSettings? diffusion, string diffusionPrompt, IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)>? visionTower = null)
    {
        var config = model.Config;
        if (config.Layout != CheckpointLayout.LlavaHf)
            throw new ArgumentException($"model: the trainer writes the llava-hf layout; {initFolder} is {config.Layout}");
        CopyCompanionFiles(initFolder, folder, includeConfig: false);
        File.WriteAllText(Path.Combine(folder, "config.json"), Config(initFolder, diffusion, diffusionPrompt, saveDType));

        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (config.Text.TieWordEmbeddings && name == $"{LlavaForConditionalGeneration.LanguageModelKey}.lm_head.weight") continue;
            tensors[CheckpointKey(name, config)] = parameter.detach().to(saveDType).contiguous();
        }
        // A trained tower replaces the starting checkpoint's, under the same keys.
        foreach (var (key, parameter) in visionTower ?? []) tensors[key] = parameter.detach().to(saveDType).contiguous();
        using var init = SafetensorsCheckpoint.Open(initFolder);
        foreach (var (key, entry) in init.Tensors)
            // In their stored dtype: the CLIP service must load the very tower the features were trained with.
            if (!tensors.ContainsKey(key) && !IsModuleKey(key, config)) tensors[key] = entry.File.Read(entry.Entry);
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFile), tensors);
    }

    /// <summary>Copies the starting checkpoint's files other than its weights (tokenizer, generation config, and the
    /// config unless the caller writes its own) into <paramref name="folder"/>.</summary>
    internal static void CopyCompanionFiles(string initFolder, string folder, bool includeConfig)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(initFolder))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".safetensors.index.json", StringComparison.Ordinal)
                || (!includeConfig && name == "config.json")) continue;
            File.Copy(file, Path.Combine(folder, name), overwrite: true);
        }
    }

    /// <summary>The checkpoint name of a module key (llava-hf keys, fusion modules under the config's prefixes).</summary>
    public static string CheckpointKey(string moduleKey, GeneratorCheckpointConfig config)
    {
        if (config.Fusion is { } fusion)
            foreach (var (module, checkpoint) in MustafarFusionModules.KeyPrefixes(fusion))
            {
                var prefix = $"{LlavaForConditionalGeneration.FusionModulesKey}.{module}";
                if (moduleKey.StartsWith(prefix, StringComparison.Ordinal)) return checkpoint + moduleKey[prefix.Length..];
            }
        return moduleKey;
    }

    /// <summary>Keys the model owns (so a stale copy from the starting checkpoint is never written beside them).</summary>
    private static bool IsModuleKey(string key, GeneratorCheckpointConfig config) =>
        key.StartsWith(LlavaForConditionalGeneration.LanguageModelKey + ".", StringComparison.Ordinal)
        || key.StartsWith(LlavaForConditionalGeneration.ProjectorKey + ".", StringComparison.Ordinal)
        || (config.Fusion is { } fusion && MustafarFusionModules.KeyPrefixes(fusion).Any(p => key.StartsWith(p.Checkpoint, StringComparison.Ordinal)));

    private static string Config(string initFolder, DiffusionSettings? diffusion, string diffusionPrompt, ScalarType saveDType)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(initFolder, "config.json")))!.AsObject();
        json["torch_dtype"] = saveDType switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" };
        if (diffusion is not null && json[FusionConfig.ConfigKey]?["diffusion"] is JsonObject section)
        {
            section["tap"] = diffusion.Tap;
            section["timestep"] = diffusion.Timestep;
            section["guidance_scale"] = diffusion.GuidanceScale;
            section["prompt"] = diffusionPrompt;
        }
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
