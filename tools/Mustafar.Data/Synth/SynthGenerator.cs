using System.Globalization;
using Mustafar.Data.Questions;
using Mustafar.Data.Scenes;

namespace Mustafar.Data.Synth;

/// <summary>Generates the items of a set. Question types take turns (colour, shape, count, position, relation, ...)
/// so each has a fifth of the items; for each item scenes are drawn until one allows a question of its type. Every
/// answer is checked again by <see cref="AnswerOracle"/> before it is handed out.</summary>
public static class SynthGenerator
{
    public static IEnumerable<SynthItem> Generate(SynthOptions options)
    {
        if (options.Count < 0) throw new ArgumentOutOfRangeException(nameof(options), "the count cannot be negative");
        if (options.Split.Length == 0 || options.Split.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_'))
            throw new ArgumentException($"the split name '{options.Split}' must be letters, digits, '-' or '_' (it names files)", nameof(options));
        var random = new SplitMix64(unchecked((ulong)options.Seed));
        for (var i = 0; i < options.Count; i++)
        {
            var category = QuestionCategories.All[i % QuestionCategories.All.Count];
            Scene scene;
            SynthQuestion? question;
            do
            {
                scene = SceneSampler.Sample(random, options.ImageSize);
                question = QuestionComposer.Compose(scene, category, random);
            }
            while (question is null);
            var id = string.Create(CultureInfo.InvariantCulture, $"{options.Split}-{i:D6}");
            var oracle = AnswerOracle.Answer(scene, question.Text);
            if (oracle != question.Answer)
                throw new InvalidOperationException($"{id}: '{question.Text}' was answered '{question.Answer}', the oracle says '{oracle}'");
            yield return new SynthItem(id, $"images/{id}.png", scene, question);
        }
    }
}
