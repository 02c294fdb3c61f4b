using System.Globalization;

namespace Mustafar.Eval.Clients;

/// <summary>The option names shared by the command line (--guidance 4) and --variant specs (s4:guidance=4), so a
/// variant can change anything a run can set.</summary>
public static class TargetOptions
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "url", "api", "api-key", "max-tokens", "temperature", "top-p", "sampling-seed", "prompt", "custom-prompt",
        "guidance", "timestep", "seed", "tap", "bypass-cache", "model", "system-prompt",
    ];

    /// <summary>The target with option <paramref name="name"/> set to <paramref name="value"/>.</summary>
    public static EvalTarget Apply(EvalTarget target, string name, string value)
    {
        var s = target.Settings;
        return name switch
        {
            "url" => target with { Url = ParseUrl(value) },
            "api" => target with { Api = Enum.TryParse<AnswerApi>(value, ignoreCase: true, out var api) ? api : throw Bad(name, value, "chat, vqa or grpc") },
            "api-key" => target with { ApiKey = value },
            "max-tokens" => target with { Settings = s with { MaxTokens = Int(name, value) } },
            "temperature" => target with { Settings = s with { Temperature = Float(name, value) } },
            "top-p" => target with { Settings = s with { TopP = Float(name, value) } },
            "sampling-seed" => target with { Settings = s with { SamplingSeed = ULong(name, value) } },
            "prompt" => target with { Settings = s with { PromptMode = value is "question" or "empty" or "custom" ? value : throw Bad(name, value, "question, empty or custom") } },
            "custom-prompt" => target with { Settings = s with { CustomPrompt = value, PromptMode = s.PromptMode ?? "custom" } },
            "guidance" => target with { Settings = s with { GuidanceScale = Float(name, value) } },
            "timestep" => target with { Settings = s with { Timestep = Int(name, value) } },
            "seed" => target with { Settings = s with { DiffusionSeed = ULong(name, value) } },
            "tap" => target with { Settings = s with { DiffusionTap = value } },
            "bypass-cache" => target with { Settings = s with { BypassCache = value is "" or "true" or "1" } },
            "model" => target with { Settings = s with { Model = value } },
            "system-prompt" => target with { Settings = s with { SystemPrompt = value } },
            "fusion" => throw new ArgumentException(
                "fusion is a property of the checkpoint, not of a request: run a gateway that serves the other checkpoint and give its address with url=..."),
            _ => throw new ArgumentException($"unknown option '{name}'; known: {string.Join(", ", Names)}"),
        };
    }

    /// <summary>A --variant spec "name:key=value,key=value" (a bare name is the base settings under that name).</summary>
    public static (string Name, EvalTarget Target) ParseVariant(string spec, EvalTarget baseTarget)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? spec : spec[..colon];
        if (name.Length == 0) throw new ArgumentException($"variant '{spec}' has no name (name:key=value,...)");
        var target = baseTarget;
        if (colon >= 0)
            foreach (var pair in spec[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                target = eq < 0 ? Apply(target, pair, "") : Apply(target, pair[..eq], pair[(eq + 1)..]);
            }
        return (name, target);
    }

    private static Uri ParseUrl(string value) =>
        Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var url) ? url : throw Bad("url", value, "an absolute http:// address");

    private static int Int(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw Bad(name, value, "an integer");

    private static ulong ULong(string name, string value) =>
        ulong.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw Bad(name, value, "a non-negative integer");

    private static float Float(string name, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : throw Bad(name, value, "a number");

    private static ArgumentException Bad(string name, string value, string expected) => new($"{name} must be {expected}, not '{value}'");
}
