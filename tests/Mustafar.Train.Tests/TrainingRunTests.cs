using System.Text.Json;
using Mustafar.CheckpointWriters;
using Mustafar.Data.Questions;
using Mustafar.Models.Generation;
using Mustafar.Train.Evaluation;
using Mustafar.Train.Running;
using Mustafar.Testing;

namespace Mustafar.Train.Tests;

public sealed class TrainingRunTests : IDisposable
{
    // CI-sized: TRAIN_COUNT samples, EPOCHS epochs of 16 on one thread (750 steps; about 1.5 minutes on two
    // idle cores). The encoders are the shipped demo model's frozen ones (its CLIP tower pre-trained on the scenes by
    // `mustafar train vision`); the LLaMA, the projector and the fusion start from scratch, as in the demo's recipe.
    private const int TrainCount = 1200;
    private const int Epochs = 10;
    private const int TestCount = 200;
    private const int ImageSize = 112;
    // What the run must show on the held-out split: overall accuracy above uniform chance (34.0 %) by this margin.
    // Measured on the development machine with training seeds 42 (the default), 8, 9 and 10: 45.0, 45.0, 45.5 and
    // 49.5 %. Which types carry it varies with the seed (colour 32.5, 15.0, 27.5, 47.5 %), so no type is asserted; a
    // run that learns only the answer format stays at chance (33.3 % after 150 steps on random encoders).
    private const double OverallMarginOverUniform = 5.0;

    private readonly TrainingWorkspace _workspace = new(TrainCount, TestCount, ImageSize, DemoCheckpoints.In(RepoPaths.ShippedDemoModel));

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void A_run_from_scratch_on_the_frozen_demo_encoders_lowers_the_loss_fourfold_and_beats_chance_on_held_out_questions()
    {
        var options = _workspace.Options("run") with { Epochs = Epochs, BatchSize = 16, LearningRate = 3e-3 };
        var result = new Trainer(options, TextWriter.Null).Run();

        var losses = File.ReadLines(Path.Combine(options.Output, TrainingLog.FileName))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(r => r.TryGetProperty("loss", out _)).Select(r => r.GetProperty("loss").GetDouble()).ToList();
        Assert.Equal(result.TotalSteps, losses.Count);
        var firstTenth = losses.Take(losses.Count / 10).Average();
        var lastTenth = losses.TakeLast(losses.Count / 10).Average();
        Assert.True(lastTenth < firstTenth / 4, $"loss fell only from {firstTenth:0.000} to {lastTenth:0.000}");

        // The unchanged generator loads the folder; the trained diffusion settings are in its config.
        using (var model = GeneratorModel.Load(result.ExportedTo!))
        {
            Assert.Equal("question", model.Fusion!.Diffusion!.DiffusionPrompt);
            Assert.NotNull(model.Fusion.Diffusion.DiffusionGuidanceScale);
        }

        var report = InProcessEvaluation.Run(result.ExportedTo!, _workspace.Models.Diffusion, _workspace.TestJson);
        Console.WriteLine($"held-out accuracy after {result.TotalSteps} steps (uniform chance {100 * _workspace.TestStats.UniformChance:0.0} %):\n{report.ToText()}");
        Assert.Equal(TestCount, report.Answers.Count);
        var inVocabulary = report.Answers.Count(a => QuestionCategories.Answers(a.Category).Contains(a.Answer.ToLowerInvariant().TrimEnd('.')));
        Assert.True(inVocabulary >= 0.9 * TestCount, $"only {inVocabulary} of {TestCount} answers are an answer of their question's type:\n" +
            string.Join("\n", report.Answers.Take(10).Select(a => $"{a.Category}: '{a.Answer}'")));

        Assert.True(100 * report.Accuracy >= 100 * _workspace.TestStats.UniformChance + OverallMarginOverUniform,
            $"overall {100 * report.Accuracy:0.0} % does not beat uniform chance ({100 * _workspace.TestStats.UniformChance:0.0} %) by {OverallMarginOverUniform} points");
    }
}
