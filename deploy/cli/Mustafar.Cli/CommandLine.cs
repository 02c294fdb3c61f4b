namespace Mustafar.Cli;

public sealed class UsageException(string message) : Exception(message);

/// <summary>"--name value" options, "--flag" switches and positional arguments.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public static CommandLine Parse(string[] args)
    {
        var line = new CommandLine();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) { line.Positional.Add(args[i]); continue; }
            var name = args[i][2..];
            var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            line._options[name] = hasValue ? args[++i] : null;
        }
        return line;
    }

    public bool Flag(string name) => _options.ContainsKey(name);

    public string? Optional(string name) => _options.TryGetValue(name, out var value) ? value : null;

    public string Required(string name) =>
        Optional(name) is { Length: > 0 } value ? value : throw new UsageException($"--{name} is required");

    public int Int(string name, int fallback) =>
        Optional(name) is not { } text ? fallback
        : int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : throw new UsageException($"--{name} must be an integer, not '{text}'");
}
