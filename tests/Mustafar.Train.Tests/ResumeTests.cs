using Mustafar.Models.Checkpoints;
using Mustafar.Train.Checkpoints;
using Mustafar.Train.Running;
using static TorchSharp.torch;

namespace Mustafar.Train.Tests;

public sealed class ResumeTests : IDisposable
{
    private readonly TrainingWorkspace _workspace = new(trainCount: 40, testCount: 1);

    public void Dispose() => _workspace.Dispose();

    /// <summary>Tolerance on every weight: a resumed run repeats the straight run's arithmetic, so the weights
    /// agree to float32 rounding (they come out identical on one machine; the bound allows a different libtorch
    /// kernel order without hiding a skipped or repeated step, which moves weights by ~1e-3).</summary>
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_interrupted_run_resumed_from_its_checkpoint_ends_with_the_weights_of_a_straight_run(bool trainVisionTower)
    {
        TrainOptions Options(string output) => _workspace.Options(output) with
        {
            BatchSize = 4, GradientAccumulation = 2, MaxSteps = 6, SaveEvery = 2, LearningRate = 3e-3, WarmupRatio = 0.2,
            WeightDecay = 0.01, MaxGradNorm = 0.5, TrainVisionTower = trainVisionTower,
        };
        var straight = new Trainer(Options("straight"), TextWriter.Null).Run();

        var stopped = new Trainer(Options("resumed") with { StopAfterSteps = 3 }, TextWriter.Null).Run();
        Assert.Equal(3, stopped.StepsDone);
        Assert.Null(stopped.ExportedTo);
        Assert.EndsWith("step-000002", TrainingState.Latest(Options("resumed").Output));
        var resumed = new Trainer(Options("resumed") with { Resume = true }, TextWriter.Null).Run();

        Assert.Equal(straight.LastLoss, resumed.LastLoss, 1e-6);
        using var a = SafetensorsCheckpoint.Open(Path.Combine(straight.ExportedTo!, GeneratorExport.WeightsFile));
        using var b = SafetensorsCheckpoint.Open(Path.Combine(resumed.ExportedTo!, GeneratorExport.WeightsFile));
        Assert.Equal(a.Tensors.Keys.Order(), b.Tensors.Keys.Order());
        var trained = 0;
        var towerTrained = 0;
        using var initial = SafetensorsCheckpoint.Open(_workspace.Models.Generator);
        foreach (var (key, entry) in a.Tensors)
        {
            using var scope = NewDisposeScope();
            var x = entry.File.Read(entry.Entry).to(ScalarType.Float64);
            var y = b.Tensors[key].File.Read(b.Tensors[key].Entry).to(ScalarType.Float64);
            Assert.True(x.sub(y).abs().max().item<double>() <= Tolerance, $"{key} differs between the straight and the resumed run");
            var moved = initial.Tensors.TryGetValue(key, out var start)
                        && x.sub(start.File.Read(start.Entry).to(ScalarType.Float64)).abs().max().item<double>() > 1e-3;
            if (moved && key.StartsWith("language_model.", StringComparison.Ordinal)) trained++;
            if (moved && key.StartsWith("vision_tower.", StringComparison.Ordinal)) towerTrained++;
        }
        Assert.True(trained > 10, "the language model's weights moved away from the starting checkpoint's");
        // A frozen tower is written back bit for bit; a trained one moved (patch embedding, attention, MLP, norms).
        Assert.True(trainVisionTower ? towerTrained > 10 : towerTrained == 0, $"{towerTrained} vision tower tensors moved");
    }

    [Fact]
    public void Resuming_with_other_settings_is_refused_naming_the_checkpoint()
    {
        var options = _workspace.Options("run") with { BatchSize = 4, MaxSteps = 2, SaveEvery = 1, StopAfterSteps = 1 };
        new Trainer(options, TextWriter.Null).Run();
        var error = Assert.Throws<InvalidDataException>(() =>
            new Trainer(options with { LearningRate = 5e-4, Resume = true, StopAfterSteps = null }, TextWriter.Null).Run());
        Assert.Contains("step-000001", error.Message);
    }
}
