using Mustafar.Models.Checkpoints;
using Mustafar.Models.Generation;
using Mustafar.Train.Checkpoints;
using Mustafar.Train.Lora;
using Mustafar.Train.Running;
using static TorchSharp.torch;

namespace Mustafar.Train.Tests;

public sealed class LoraTrainingTests : IDisposable
{
    private readonly TrainingWorkspace _workspace = new(trainCount: 24, testCount: 1);

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void A_lora_finetune_moves_only_the_targeted_projections_and_its_merged_checkpoint_computes_what_the_adapter_did()
    {
        // LoRA adapts a trained language model: train one briefly from scratch first.
        var trained = new Trainer(_workspace.Options("base") with { BatchSize = 4, MaxSteps = 4, LearningRate = 3e-3 }, TextWriter.Null).Run().ExportedTo!;
        var lora = new LoraSettings(4, 8, ["q_proj", "v_proj"]);
        var options = _workspace.Options("lora") with { Model = trained, FromScratch = false, BatchSize = 4, MaxSteps = 4, LearningRate = 3e-2, Lora = lora };
        var result = new Trainer(options, TextWriter.Null).Run();

        // Only the targeted projections of the language model moved; every other language-model weight is the base's.
        using var before = SafetensorsCheckpoint.Open(Path.Combine(trained, GeneratorExport.WeightsFile));
        using var after = SafetensorsCheckpoint.Open(Path.Combine(result.ExportedTo!, GeneratorExport.WeightsFile));
        var moved = new List<string>();
        foreach (var (key, entry) in after.Tensors.Where(t => t.Key.StartsWith(LlavaForConditionalGeneration.LanguageModelKey + ".", StringComparison.Ordinal)))
        {
            using var scope = NewDisposeScope();
            var start = before.Tensors[key];
            if (!entry.File.Read(entry.Entry).allclose(start.File.Read(start.Entry), rtol: 0, atol: 0)) moved.Add(key);
        }
        Assert.NotEmpty(moved);
        Assert.All(moved, key => Assert.True(key.EndsWith("q_proj.weight", StringComparison.Ordinal) || key.EndsWith("v_proj.weight", StringComparison.Ordinal), $"{key} is not a targeted projection"));

        // The merged checkpoint computes what the base with the adapter attached computes, and merge-lora gives the
        // trainer's merged weights.
        var adapter = Path.Combine(options.Output, "adapter");
        var merged = Path.Combine(_workspace.Root, "merged");
        LoraMerge.Run(trained, adapter, merged);
        using var hooked = Generator(trained);
        using var attached = LoraAdapters.Load(hooked, adapter);
        using var exported = Generator(result.ExportedTo!);
        using var mergedByCommand = Generator(merged);
        using var scope2 = NewDisposeScope();
        var (embeds, positions, valid) = Inputs(hooked);
        using var noGrad = no_grad();
        var reference = hooked.LanguageModel.forward(embeds, positions, valid);
        var basePlain = Generator(trained);
        Assert.True(basePlain.LanguageModel.forward(embeds, positions, valid).sub(reference).abs().max().item<float>() > 1e-3,
            "the adapter changes the model's logits");
        basePlain.Dispose();
        foreach (var model in new[] { exported, mergedByCommand })
        {
            var difference = model.LanguageModel.forward(embeds, positions, valid).sub(reference).abs().max().item<float>();
            Assert.True(difference < 1e-4, $"merged logits differ from the adapter's by {difference}");
        }
    }

    [Fact]
    public void Lora_is_refused_from_scratch_and_in_pretrain_naming_the_field()
    {
        var lora = new LoraSettings(4, 8, LoraSettings.AllLinear);
        Assert.StartsWith("lora_rank:", Assert.Throws<ArgumentException>(() => new Trainer(_workspace.Options("a") with { Lora = lora })).Message);
        Assert.StartsWith("lora_rank:", Assert.Throws<ArgumentException>(() =>
            new Trainer(_workspace.Options("b") with { Lora = lora, FromScratch = false, Stage = TrainStage.Pretrain })).Message);
        Assert.StartsWith("lora_target_modules:", Assert.Throws<ArgumentException>(() =>
            new Trainer(_workspace.Options("c") with { Lora = lora with { TargetModules = ["qkv"] }, FromScratch = false })).Message);
    }

    private static LlavaForConditionalGeneration Generator(string folder) => GeneratorWeights.Load(folder, CPU, ScalarType.Float32).Model;

    private static (Tensor Embeds, Tensor Positions, Tensor Valid) Inputs(LlavaForConditionalGeneration model)
    {
        using var generator = new TorchSharp.torch.Generator(3, CPU);
        var hidden = model.Config.Text.HiddenSize;
        var embeds = randn([2, 9, hidden], ScalarType.Float32, CPU, generator: generator);
        var positions = arange(9L).unsqueeze(0).expand(2, 9).contiguous();
        var valid = ones([2, 9], ScalarType.Bool);
        return (embeds, positions, valid);
    }
}
