using Mustafar.Data.Synth;

namespace Mustafar.Cli;

/// <summary>`mustafar data synth`: writes the synthetic shapes VQA set (issue 17 item 2) in LLaVA's JSON, and prints
/// its per-type counts and chance levels.</summary>
public static class DataCommand
{
    public const string Usage = """
          data synth --seed S --count N --out DIR [--split NAME] [--size PX]
                                                             write a synthetic shapes VQA split (LLaVA JSON, PNGs, scenes,
                                                             chance per question type); train: --seed 1, test: --seed 2 --split test
        """;

    public static int Run(CommandLine line)
    {
        if (line.Positional is not ["synth"]) throw new UsageException("data: the only subcommand is 'synth'");
        if (line.Optional("seed") is null) throw new UsageException("--seed is required (train: 1, test: 2)");
        var options = new SynthOptions(line.Int("seed", 0), line.Int("count", 0), line.Optional("split") ?? "train", line.Int("size", 224));
        if (line.Optional("count") is null || options.Count <= 0) throw new UsageException("--count N (at least 1) is required");
        var directory = line.Required("out");
        SynthStats stats;
        try
        {
            stats = SynthSetWriter.Write(options, directory);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        Console.Write(stats.ToText());
        Console.Error.WriteLine($"mustafar: wrote {Path.Combine(directory, options.Split + ".json")} and {stats.Items} images under {Path.Combine(directory, "images")}");
        return 0;
    }
}
