using System.Text.Json;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Train.Checkpoints;
using Mustafar.Train.Running;
using Mustafar.Train.Vision;
using static TorchSharp.torch;

namespace Mustafar.Train.Tests;

public sealed class VisionPretrainingTests : IDisposable
{
    private readonly TrainingWorkspace _workspace = new(trainCount: 192, testCount: 24);

    public void Dispose() => _workspace.Dispose();

    private VisionPretrainOptions Options(string output) => new()
    {
        Model = _workspace.Models.Generator,
        Scenes = Path.Combine(Path.GetDirectoryName(_workspace.TrainJson)!, "train.scenes.json"),
        EvalScenes = Path.Combine(Path.GetDirectoryName(_workspace.TestJson)!, "test.scenes.json"),
        Output = Path.Combine(_workspace.Root, output),
        Epochs = 10,
        BatchSize = 16,
        LearningRate = 3e-3,
        Threads = 1,
    };

    [Fact]
    public void Pretraining_lowers_the_patch_loss_and_changes_only_the_tower_in_a_checkpoint_the_clip_service_loads()
    {
        var options = Options("vision");
        var result = new VisionPretrainer(options, TextWriter.Null).Run();

        var losses = File.ReadLines(Path.Combine(options.Output, TrainingLog.FileName))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(r => r.TryGetProperty("loss", out _)).Select(r => r.GetProperty("loss").GetDouble()).ToList();
        Assert.Equal(result.Steps, losses.Count);
        Assert.True(losses.TakeLast(6).Average() < 0.4 * losses.Take(6).Average(), $"loss {losses.Take(6).Average():0.000} -> {losses.TakeLast(6).Average():0.000}");
        // The row and column heads read the patch's place back from the trained features on held-out scenes, far above
        // the 1 in 49 of a guess (the shape scores need far more than this test's 192 scenes).
        Assert.NotNull(result.Held);
        Assert.True(result.Held!.Position > 0.5, $"held-out row and column {result.Held.Position:P1}");

        using var before = SafetensorsCheckpoint.Open(_workspace.Models.Generator);
        using var after = SafetensorsCheckpoint.Open(result.ExportedTo);
        Assert.Equal(before.Tensors.Keys.Order(), after.Tensors.Keys.Order());
        var changed = new List<string>();
        foreach (var key in before.Tensors.Keys)
        {
            using var scope = NewDisposeScope();
            var old = before.Tensors[key].File.Read(before.Tensors[key].Entry);
            var written = after.Tensors[key].File.Read(after.Tensors[key].Entry);
            Assert.Equal(old.dtype, written.dtype);
            if (!old.allclose(written, rtol: 0, atol: 0)) changed.Add(key);
        }
        Assert.NotEmpty(changed);
        Assert.All(changed, key => Assert.StartsWith(ClipCheckpointKeys.LlavaHfTowerPrefix, key));
        // Every file beside the weights is the starting checkpoint's.
        foreach (var file in Directory.GetFiles(_workspace.Models.Generator).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(result.ExportedTo, Path.GetFileName(file))));
        // The CLIP service's own loader reads it strictly.
        using var encoder = ClipVisionEncoder.Load(result.ExportedTo, "cpu", ScalarType.Float32);
        Assert.Equal(before.Tensors.Keys.Count(k => k.StartsWith(ClipCheckpointKeys.LlavaHfTowerPrefix, StringComparison.Ordinal)), encoder.LoadReport.Loaded);
    }

    [Fact]
    public void Bad_options_are_refused_naming_the_field()
    {
        Assert.StartsWith("scenes:", Assert.Throws<ArgumentException>(() => new VisionPretrainer(Options("x") with { Scenes = "/nonexistent.json" })).Message);
        Assert.StartsWith("epochs:", Assert.Throws<ArgumentException>(() => new VisionPretrainer(Options("x") with { Epochs = 0 })).Message);
        Assert.StartsWith("learning_rate:", Assert.Throws<ArgumentException>(() => new VisionPretrainer(Options("x") with { LearningRate = double.NaN })).Message);
    }
}
