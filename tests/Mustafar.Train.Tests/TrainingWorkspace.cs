using Mustafar.Data.Synth;
using Mustafar.CheckpointWriters;
using Mustafar.Train.Running;

namespace Mustafar.Train.Tests;

/// <summary>A temporary folder with a synthetic train and test split, removed on dispose, and the checkpoints to train
/// from: the demo's tiny untrained ones written into it (random-weight CLIP tower, Stable Diffusion and a
/// cross-attention LLaVA), or, when <c>models</c> is given, those (read, never written).</summary>
public sealed class TrainingWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("mustafar-train-").FullName;
    public DemoCheckpoints.Paths Models { get; }
    public string TrainJson => Path.Combine(Root, "synth", "train.json");
    public string TestJson => Path.Combine(Root, "synth", "test.json");
    public SynthStats TestStats { get; }

    public TrainingWorkspace(int trainCount, int testCount, int imageSize = 56, DemoCheckpoints.Paths? models = null)
    {
        Models = models ?? DemoCheckpoints.Ensure(Path.Combine(Root, "models")).Paths;
        SynthSetWriter.Write(new SynthOptions(1, trainCount, "train", imageSize), Path.Combine(Root, "synth"));
        TestStats = SynthSetWriter.Write(new SynthOptions(2, testCount, "test", imageSize), Path.Combine(Root, "synth"));
    }

    public TrainOptions Options(string output) => new()
    {
        Stage = TrainStage.Finetune,
        Model = Models.Generator,
        Diffusion = Models.Diffusion,
        Data = TrainJson,
        Output = Path.Combine(Root, output),
        FromScratch = true,
        Threads = 1,
    };

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
