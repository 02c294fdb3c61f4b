using Mustafar.Models.Generation;
using Mustafar.Train.Checkpoints;
using static TorchSharp.torch;

namespace Mustafar.Train.Lora;

/// <summary>`mustafar train merge-lora`: a base generator checkpoint plus a LoRA adapter folder -> a plain checkpoint
/// folder (llava-hf layout) with the adapter folded into the targeted weights, which the generator serves as it is.</summary>
public static class LoraMerge
{
    public static void Run(string baseFolder, string adapterFolder, string output)
    {
        var (loaded, _) = GeneratorWeights.Load(baseFolder, CPU, ScalarType.Float32);
        using var model = loaded;
        using var adapters = LoraAdapters.Load(model, adapterFolder);
        adapters.Merge();
        model.eval();
        GeneratorExport.Write(output, baseFolder, model, ScalarType.Float32, diffusion: null, diffusionPrompt: "");
    }
}
