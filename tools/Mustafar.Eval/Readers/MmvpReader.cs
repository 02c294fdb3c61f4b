using System.Globalization;
using System.Text.RegularExpressions;
using Mustafar.Eval.Items;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Readers;

/// <summary>MMVP as its authors publish it (MMVP/MMVP on Hugging Face): Questions.csv with the columns Index,
/// Question, Options ("(a) Open (b) Closed") and Correct Answer ("(a)"), and the images in "MMVP Images/" named by
/// Index. Questions 2k-1 and 2k are a pair (<see cref="MmvpScorer"/>).</summary>
public static partial class MmvpReader
{
    [GeneratedRegex(@"\(([a-zA-Z])\)\s*(.*?)\s*(?=\([a-zA-Z]\)|$)", RegexOptions.Singleline)]
    private static partial Regex Option();

    public static Benchmark Read(ReaderOptions options)
    {
        var csv = File.Exists(options.Path) ? options.Path : Path.Combine(options.Path, "Questions.csv");
        var images = ImageFolder.Of(options, csv, "MMVP Images");
        var items = new List<EvalItem>();
        foreach (var row in CsvRows.Read(File.ReadAllText(csv)))
        {
            var index = int.Parse(row["Index"], CultureInfo.InvariantCulture);
            var choices = Option().Matches(row["Options"]).Select(m => new Choice(m.Groups[1].Value, m.Groups[2].Value)).ToList();
            if (choices.Count < 2) throw new InvalidDataException($"{csv}: question {index} has no \"(a) ... (b) ...\" options: '{row["Options"]}'");
            items.Add(new EvalItem(
                index.ToString(CultureInfo.InvariantCulture),
                Prompts.Append(row["Question"].Trim() + "\n" + row["Options"].Trim(), options, Prompts.OptionLetter),
                row["Correct Answer"].Trim().Trim('(', ')', ' '),
                ["mmvp"],
                EvalImage.FromFile(ImageFolder.Resolve(images, index.ToString(CultureInfo.InvariantCulture), ".jpg", ".png", ".jpeg")))
            {
                Choices = choices,
                Group = ((index + 1) / 2).ToString(CultureInfo.InvariantCulture),
            });
        }
        return new Benchmark("mmvp", ItemIds.Unique(items, csv), new MmvpScorer());
    }
}
