using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Mustafar.Load.Scenario;

/// <summary>
/// Builds a <see cref="LoadScenario"/> from an optional JSON scenario file and command-line options of the same
/// names: both become one JSON object (the command line's values override the file's) that is read with the same
/// rules, so an option means the same thing in either place and an unknown one is refused by name.
/// </summary>
public static class ScenarioReader
{
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower), new RequestMixConverter() },
    };

    /// <summary>Option names a scenario has ("gateway", "repeat-share", ...).</summary>
    public static IReadOnlyList<string> OptionNames { get; } = typeof(LoadScenario)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .Select(p => JsonNamingPolicy.KebabCaseLower.ConvertName(p.Name))
        .ToArray();

    /// <summary>The scenario from <paramref name="file"/> (may be null) with <paramref name="overrides"/> (option
    /// name to its command-line text) applied; throws <see cref="FormatException"/> naming every problem.</summary>
    public static LoadScenario Read(string? file, IReadOnlyDictionary<string, string> overrides)
    {
        var json = file is null ? new JsonObject() : JsonNode.Parse(File.ReadAllText(file)) as JsonObject
            ?? throw new FormatException($"{file}: a scenario file holds one JSON object");
        foreach (var (name, value) in overrides) json[name] = value;

        var unknown = json.Select(p => p.Key).Where(k => !OptionNames.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new FormatException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}; the options are {string.Join(", ", OptionNames.Select(n => "--" + n))}");

        LoadScenario scenario;
        try
        {
            scenario = json.Deserialize<LoadScenario>(Json) ?? new LoadScenario();
        }
        catch (JsonException error)
        {
            var option = error.Path is { Length: > 2 } path ? "--" + path.TrimStart('$', '.') : "the scenario";
            throw new FormatException($"{option}: {(error.InnerException is FormatException inner ? inner.Message : error.Message)}", error);
        }
        var problems = scenario.Validate().ToList();
        return problems.Count == 0 ? scenario : throw new FormatException(string.Join(Environment.NewLine, problems));
    }

    /// <summary>The scenario as a JSON object (what a scenario file would hold).</summary>
    public static JsonNode ToJson(LoadScenario scenario) => JsonSerializer.SerializeToNode(scenario, Json)!;
}
