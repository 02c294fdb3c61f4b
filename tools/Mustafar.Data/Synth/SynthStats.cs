using System.Globalization;
using System.Text;
using Mustafar.Data.Questions;

namespace Mustafar.Data.Synth;

/// <summary>What a set holds per question type and what guessing would score: written beside the set
/// (`SPLIT.stats.json`, `SPLIT.README.txt`) so an accuracy can be read against chance.</summary>
public sealed record SynthStats(SynthOptions Options, IReadOnlyList<CategoryStats> Categories)
{
    public int Items => Categories.Sum(c => c.Items);

    /// <summary>Each chance level averaged over the items (types weighted by their item counts).</summary>
    public double UniformChance => Weighted(c => c.UniformChance);

    public double MajorityChance => Weighted(c => c.MajorityChance);

    public static SynthStats Of(SynthOptions options, IReadOnlyList<SynthItem> items) => new(options, [.. QuestionCategories.All.Select(category =>
    {
        var answers = items.Where(i => i.Question.Category == category).Select(i => i.Question.Answer).ToList();
        var sets = QuestionCategories.OptionSets(category);
        var counts = sets.SelectMany(set => set).Select(a => (a, answers.Count(x => x == a))).ToList();
        // The best constant answer per option set (for position: one for left/right, one for top/bottom questions).
        var majority = sets.Sum(set => set.Max(a => answers.Count(x => x == a)));
        return new CategoryStats(category, answers.Count, counts, 1.0 / sets[0].Count, answers.Count == 0 ? 0 : (double)majority / answers.Count);
    })]);

    public byte[] ToJson() => SynthJson.Write(json =>
    {
        json.WriteStartObject();
        json.WriteString("split", Options.Split);
        json.WriteNumber("seed", Options.Seed);
        json.WriteNumber("count", Options.Count);
        json.WriteNumber("image_size", Options.ImageSize);
        json.WriteStartObject("categories");
        foreach (var c in Categories)
        {
            json.WriteStartObject(c.Category);
            json.WriteNumber("items", c.Items);
            json.WriteNumber("chance_uniform", Math.Round(c.UniformChance, 4));
            json.WriteNumber("chance_majority", Math.Round(c.MajorityChance, 4));
            json.WriteStartObject("answers");
            foreach (var (answer, n) in c.Answers) json.WriteNumber(answer, n);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteNumber("chance_uniform", Math.Round(UniformChance, 4));
        json.WriteNumber("chance_majority", Math.Round(MajorityChance, 4));
        json.WriteEndObject();
    });

    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Synthetic shapes VQA, split '{Options.Split}': seed {Options.Seed}, {Items} items, {Options.ImageSize}x{Options.ImageSize} images.\n");
        text.Append("Files: SPLIT.json (LLaVA conversations, one question per image, with \"category\"), SPLIT.scenes.json (what each image shows),\n");
        text.Append("images/SPLIT-NNNNNN.png. Chance: 'uniform' guesses uniformly among the options one question offers;\n");
        text.Append("'majority' always gives this split's most frequent answer among a question's options.\n\n");
        text.Append("category   items  uniform %  majority %  answers\n");
        foreach (var c in Categories)
            text.Append(CultureInfo.InvariantCulture,
                $"{c.Category,-10} {c.Items,5}  {100 * c.UniformChance,9:F1}  {100 * c.MajorityChance,10:F1}  {string.Join(' ', c.Answers.Select(a => $"{a.Answer}={a.Items}"))}\n");
        text.Append(CultureInfo.InvariantCulture, $"{"overall",-10} {Items,5}  {100 * UniformChance,9:F1}  {100 * MajorityChance,10:F1}\n");
        return text.ToString();
    }

    private double Weighted(Func<CategoryStats, double> chance) => Items == 0 ? 0 : Categories.Sum(c => c.Items * chance(c)) / Items;
}
