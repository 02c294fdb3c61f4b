using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Train.Checkpoints;
using Mustafar.Train.Running;
using static TorchSharp.torch;

namespace Mustafar.Train.Tests;

public sealed class VisionTowerTrainingTests : IDisposable
{
    private readonly TrainingWorkspace _workspace = new(trainCount: 24, testCount: 1);

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void A_trained_tower_is_exported_under_the_keys_the_clip_service_loads_with_the_weights_training_ended_with()
    {
        var options = _workspace.Options("tower") with { BatchSize = 4, MaxSteps = 3, LearningRate = 3e-3, TrainVisionTower = true };
        var result = new Trainer(options, TextWriter.Null).Run();

        // The exported tower is the final training state's, tensor for tensor.
        using var state = SafetensorsCheckpoint.Open(Path.Combine(TrainingState.Latest(options.Output)!, "trainable.safetensors"));
        using var exported = SafetensorsCheckpoint.Open(Path.Combine(result.ExportedTo!, GeneratorExport.WeightsFile));
        var towerKeys = state.Tensors.Keys.Where(k => k.StartsWith(ClipCheckpointKeys.LlavaHfTowerPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(exported.Tensors.Keys.Where(k => k.StartsWith(ClipCheckpointKeys.LlavaHfTowerPrefix, StringComparison.Ordinal)).Order(), towerKeys.Order());
        // The CLIP service's own loader reads the exported folder strictly (a missing or misnamed key fails the load).
        using (var encoder = ClipVisionEncoder.Load(result.ExportedTo!, "cpu", ScalarType.Float32))
            Assert.Equal(towerKeys.Count, encoder.LoadReport.Loaded);
        foreach (var key in towerKeys)
        {
            using var scope = NewDisposeScope();
            var trained = state.Tensors[key].File.Read(state.Tensors[key].Entry);
            var written = exported.Tensors[key].File.Read(exported.Tensors[key].Entry);
            Assert.True(trained.allclose(written, rtol: 0, atol: 0), $"{key}: the exported tower is not the trained one");
        }
    }

    [Fact]
    public void Training_a_tower_from_another_folder_is_refused_naming_the_clip_field()
    {
        var options = _workspace.Options("refused") with { TrainVisionTower = true, Clip = _workspace.Models.Generator };
        var error = Assert.Throws<ArgumentException>(() => new Trainer(options, TextWriter.Null));
        Assert.StartsWith("clip:", error.Message);
    }
}
