namespace Mustafar.Cli;

public sealed class UsageException(string message) : Exception(message);

/// <summary>"--name value" options, "--flag" switches and positional arguments.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string?>> _options = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public static CommandLine Parse(string[] args)
    {
        var line = new CommandLine();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) { line.Positional.Add(args[i]); continue; }
            var name = args[i][2..];
            var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            if (!line._options.TryGetValue(name, out var values)) line._options[name] = values = [];
            values.Add(hasValue ? args[++i] : null);
        }
        return line;
    }

    public bool Flag(string name) => _options.ContainsKey(name);

    /// <summary>The last value given for the option (a later one overrides an earlier one).</summary>
    public string? Optional(string name) => _options.TryGetValue(name, out var values) ? values[^1] : null;

    /// <summary>Every value of an option that may repeat (--variant a --variant b).</summary>
    public IReadOnlyList<string> All(string name) =>
        _options.TryGetValue(name, out var values) ? values.OfType<string>().ToList() : [];

    public string Required(string name) =>
        Optional(name) is { Length: > 0 } value ? value : throw new UsageException($"--{name} is required");

    public int Int(string name, int fallback) =>
        Optional(name) is not { } text ? fallback
        : int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : throw new UsageException($"--{name} must be an integer, not '{text}'");
}
