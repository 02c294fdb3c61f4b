namespace Mustafar.Load;

/// <summary>The command line: "--name value" and "--name=value" options, "--flag" switches (a name followed by
/// another option or by nothing), and --scenario FILE.</summary>
public static class Arguments
{
    private static readonly HashSet<string> Switches = ["help", "records"];

    public static (string? ScenarioFile, Dictionary<string, string> Options, HashSet<string> Flags) Parse(IReadOnlyList<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h") arg = "--help";
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new FormatException($"unexpected argument '{arg}'; options are written --name value");
            var name = arg[2..];
            string? value = null;
            if (name.IndexOf('=', StringComparison.Ordinal) is var eq and > 0) (name, value) = (name[..eq], name[(eq + 1)..]);
            else if (!Switches.Contains(name) && i + 1 < args.Count) value = args[++i];
            if (value is null)
            {
                if (!Switches.Contains(name)) throw new FormatException($"--{name} needs a value");
                flags.Add(name);
            }
            else if (!options.TryAdd(name, value))
            {
                throw new FormatException($"--{name} is given twice");
            }
        }
        options.Remove("scenario", out var scenario);
        return (scenario, options, flags);
    }
}
