using System.Globalization;
using System.Text.Json.Nodes;
using Mustafar.Eval.Scoring;
using Mustafar.Models.Generation;
using Mustafar.Train.Data;
using Mustafar.Train.Features;
using static TorchSharp.torch;

namespace Mustafar.Train.Evaluation;

/// <summary>One evaluated question.</summary>
public sealed record EvaluatedAnswer(string Id, string Category, string Expected, string Answer, bool Correct);

/// <summary>Accuracy per category ("category" of each record, as the synthetic set writes it) and overall.</summary>
public sealed record EvaluationReport(IReadOnlyList<EvaluatedAnswer> Answers)
{
    public double Accuracy => Answers.Count == 0 ? 0 : (double)Answers.Count(a => a.Correct) / Answers.Count;

    public IReadOnlyDictionary<string, (int Correct, int Total)> PerCategory =>
        Answers.GroupBy(a => a.Category).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (g.Count(a => a.Correct), g.Count()));

    public string ToText() => string.Join("\n", PerCategory.Select(kv =>
            string.Create(CultureInfo.InvariantCulture, $"{kv.Key,-10} {kv.Value.Correct,4}/{kv.Value.Total,-4} {100.0 * kv.Value.Correct / kv.Value.Total,6:0.0} %")))
        + string.Create(CultureInfo.InvariantCulture, $"\n{"overall",-10} {Answers.Count(a => a.Correct),4}/{Answers.Count,-4} {100 * Accuracy,6:0.0} %\n");
}

/// <summary>
/// Evaluates a generator checkpoint in this process, the way the mesh answers: the question as the only user turn
/// (the template adds the image placeholder), features from <see cref="InProcessFeatureSource"/> with the
/// checkpoint's own diffusion settings and the question as the diffusion prompt, greedy decoding of at most 32
/// tokens (the eval tool's settings), scored by exact match after the eval tool's normalisation.
/// </summary>
public static class InProcessEvaluation
{
    public const int MaxNewTokens = 32;

    public static EvaluationReport Run(string checkpoint, string diffusionFolder, string dataPath, string? images = null, int? limit = null)
    {
        using var model = GeneratorModel.Load(checkpoint);
        var fusion = model.Fusion ?? throw new ArgumentException($"{checkpoint} is a text-only checkpoint");
        using var features = new InProcessFeatureSource(fusion, checkpoint, fusion.Diffusion is null ? null : diffusionFolder, null, null);
        var samples = LlavaDatasetReader.Read(dataPath);
        var categories = Categories(dataPath);
        var root = images ?? Path.GetDirectoryName(Path.GetFullPath(dataPath))!;
        var answers = new List<EvaluatedAnswer>();
        foreach (var (sample, index) in samples.Select((s, i) => (s, i)).Take(limit ?? int.MaxValue))
        {
            using var scope = NewDisposeScope();
            var image = Path.Combine(root, sample.Image ?? throw new InvalidDataException($"{dataPath}[{index}]: no image"));
            var named = new Dictionary<string, Tensor> { ["clip"] = features.Clip(image) };
            if (fusion.Diffusion is not null) named["diffusion"] = features.Diffusion(image, sample.Question);
            var (text, _) = model.Generate(new GenerationRequest
            {
                Messages = [new ConversationTurn(ChatRole.User, sample.Question)],
                Features = named,
                Sampling = new SamplingRequest { MaxNewTokens = MaxNewTokens, Temperature = 0 },
            });
            var expected = sample.Conversations[1].Value;
            answers.Add(new EvaluatedAnswer(sample.Id, categories[index], expected, text.Trim(),
                AnswerNormalizer.Normalize(text) == AnswerNormalizer.Normalize(expected)));
        }
        return new EvaluationReport(answers);
    }

    private static string[] Categories(string dataPath) =>
        (JsonNode.Parse(File.ReadAllText(dataPath)) as JsonArray)!.Select(n => n?["category"]?.ToString() ?? "uncategorised").ToArray();
}
