using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>One Dockerfile instruction: its keyword, its text (continuations joined), and its arguments when written
/// in exec (JSON array) form.</summary>
internal sealed record DockerInstruction(string Keyword, string Text, IReadOnlyList<string>? ExecForm);

/// <summary>A build stage: <c>FROM image AS name</c> and what follows up to the next FROM.</summary>
internal sealed record DockerStage(string From, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) =>
        Instructions.Where(i => i.Keyword.Equals(keyword, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// A Dockerfile read as BuildKit reads it: parser directives, comments, line continuations, stages, and ARG
/// defaults substituted (<c>${NAME}</c>, <c>$NAME</c>, <c>${NAME:-default}</c>) into FROM lines and, stage by stage,
/// into the other instructions (RUN included, as its shell would). Build arguments passed on the command line can replace the defaults.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(string source, IReadOnlyDictionary<string, string> directives, IReadOnlyList<DockerStage> stages)
    {
        Source = source;
        Directives = directives;
        Stages = stages;
    }

    public string Source { get; }

    /// <summary>Parser directives at the top, such as <c>syntax</c>.</summary>
    public IReadOnlyDictionary<string, string> Directives { get; }

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public DockerStage? Stage(string name) => Stages.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    public static Dockerfile Load(string path, IReadOnlyDictionary<string, string>? buildArgs = null) =>
        Parse(File.ReadAllText(path), Path.GetFileName(path), buildArgs);

    public static Dockerfile Parse(string text, string source, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var directives = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        for (; index < lines.Length && Directive().Match(lines[index]) is { Success: true } match; index++)
            directives[match.Groups["name"].Value] = match.Groups["value"].Value.Trim();

        var passed = buildArgs ?? new Dictionary<string, string>();
        var globalArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<DockerStage>();
        (string From, string? Name, Dictionary<string, string> Args, List<DockerInstruction> Instructions)? current = null;
        foreach (var (keyword, rest) in Instructions(lines.Skip(index)))
        {
            if (keyword == "FROM")
            {
                if (current is { } done) stages.Add(new DockerStage(done.From, done.Name, done.Instructions));
                var from = Substitute(rest, globalArgs).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var fromArgs = from.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
                var name = fromArgs.Length == 3 && fromArgs[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? fromArgs[2] : null;
                current = (fromArgs[0], name, new Dictionary<string, string>(StringComparer.Ordinal), []);
                continue;
            }
            if (keyword == "ARG")
            {
                // A global ARG (before the first FROM) only serves FROM lines; a stage sees it when it declares it again.
                var (name, value) = ParseArg(rest);
                var scope = current?.Args ?? globalArgs;
                scope[name] = passed.TryGetValue(name, out var given) ? given
                    : value is not null ? Substitute(value, scope)
                    : current is not null && globalArgs.TryGetValue(name, out var global) ? global
                    : "";
                continue;
            }
            if (current is not { } stage)
                throw new InvalidDataException($"{source}: {keyword} before the first FROM");
            // Docker substitutes ARGs into most instructions; in RUN the shell does the same with the ARG values it
            // sees as environment variables. Exec forms (JSON arrays) get no substitution at all.
            var exec = ExecForm(rest);
            stage.Instructions.Add(new DockerInstruction(keyword, exec is null ? Substitute(rest, stage.Args) : rest, exec));
        }
        if (current is { } last) stages.Add(new DockerStage(last.From, last.Name, last.Instructions));
        if (stages.Count == 0) throw new InvalidDataException($"{source}: no FROM");
        return new Dockerfile(source, directives, stages);
    }

    private static IEnumerable<(string Keyword, string Arguments)> Instructions(IEnumerable<string> lines)
    {
        var pending = "";
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)) continue;
            if (pending.Length > 0 && line.TrimStart().StartsWith('#')) continue; // comments inside continuations
            if (line.EndsWith('\\'))
            {
                pending += line[..^1].Trim() + " ";
                continue;
            }
            var whole = (pending + line.Trim()).Trim();
            pending = "";
            var space = whole.IndexOf(' ', StringComparison.Ordinal);
            yield return space < 0 ? (whole.ToUpperInvariant(), "") : (whole[..space].ToUpperInvariant(), whole[(space + 1)..].Trim());
        }
        if (pending.Length > 0) throw new InvalidDataException("the file ends inside a line continuation");
    }

    private static (string Name, string? Value) ParseArg(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (text.Trim(), null) : (text[..equals].Trim(), text[(equals + 1)..].Trim().Trim('"'));
    }

    private static IReadOnlyList<string>? ExecForm(string text)
    {
        var start = text.IndexOf('[', StringComparison.Ordinal);
        if (start < 0 || !text.TrimEnd().EndsWith(']')) return null;
        // HEALTHCHECK [options] CMD [...]: the exec form follows CMD.
        try
        {
            return JsonSerializer.Deserialize<string[]>(text[start..]);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string> args) => Variable().Replace(text, match =>
    {
        var name = match.Groups["name"].Success ? match.Groups["name"].Value : match.Groups["bare"].Value;
        if (args.TryGetValue(name, out var value) && value.Length > 0) return value;
        return match.Groups["default"].Success ? match.Groups["default"].Value : match.Value;
    });

    [GeneratedRegex(@"^#\s*(?<name>syntax|escape|check)\s*=\s*(?<value>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Directive();

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?<default>[^}]*))?\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Variable();
}
