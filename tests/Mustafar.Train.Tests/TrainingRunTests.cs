using System.Text.Json;
using Mustafar.Data.Questions;
using Mustafar.Models.Generation;
using Mustafar.Train.Evaluation;
using Mustafar.Train.Running;

namespace Mustafar.Train.Tests;

public sealed class TrainingRunTests : IDisposable
{
    // CI-sized: TRAIN_COUNT samples, EPOCHS epochs on one thread (well under two minutes on two cores).
    private const int TrainCount = 600;
    private const int Epochs = 4;
    private const int TestCount = 150;

    private readonly TrainingWorkspace _workspace = new(TrainCount, TestCount);

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void A_run_from_scratch_lowers_the_loss_fourfold_and_the_generator_loads_it_and_answers_in_each_question_types_vocabulary()
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

        // What a CI-sized run learns: the answer format and the answer vocabulary of each question type. Its held-out
        // accuracy stays at chance (measured: 33.3 % against a uniform chance of 34.0 % after these 150 steps); telling
        // shapes and colours apart takes the shipped demo model's budget (deploy/demo-model/README.md, asserted
        // through the mesh by ShippedDemoModelTests).
        var report = InProcessEvaluation.Run(result.ExportedTo!, _workspace.Models.Diffusion, _workspace.TestJson);
        Console.WriteLine($"held-out accuracy after {result.TotalSteps} steps (uniform chance {100 * _workspace.TestStats.UniformChance:0.0} %):\n{report.ToText()}");
        Assert.Equal(TestCount, report.Answers.Count);
        var inVocabulary = report.Answers.Count(a => QuestionCategories.Answers(a.Category).Contains(a.Answer.ToLowerInvariant().TrimEnd('.')));
        Assert.True(inVocabulary >= 0.9 * TestCount, $"only {inVocabulary} of {TestCount} answers are an answer of their question's type:\n" +
            string.Join("\n", report.Answers.Take(10).Select(a => $"{a.Category}: '{a.Answer}'")));
    }
}
