using System.Reflection;
using Mustafar.ServiceDefaults;

namespace Mustafar.Serving;

/// <summary>
/// Every configuration key the runtime reads, derived from the options classes so that names live in one place.
/// Deployment files (docker-compose, Kubernetes) are checked against <see cref="EnvironmentVariables"/>.
/// Keys are case-insensitive; an environment variable spells a key with <c>__</c> for <c>:</c>
/// (<c>Mustafar:Model:Path</c> is <c>MUSTAFAR__Model__Path</c>).
/// </summary>
public static class ServingOptionKeys
{
    /// <summary>The configuration section (and, upper-cased, the environment prefix) of every runtime option.</summary>
    public const string Root = "Mustafar";

    /// <summary>The options classes the runtime binds, with their sections.</summary>
    public static IReadOnlyList<(Type Type, string Section)> Sections { get; } =
    [
        (typeof(ModelOptions), ModelOptions.Section),
        (typeof(BatchingOptions), BatchingOptions.Section),
        (typeof(ServerOptions), ServerOptions.Section),
        (typeof(LimitsOptions), LimitsOptions.Section),
        (typeof(FaultOptions), FaultOptions.Section),
    ];

    /// <summary>Every key, for example <c>Mustafar:Model:Path</c>.</summary>
    public static IReadOnlyList<string> All { get; } = Sections.SelectMany(s => Of(s.Type, s.Section)).ToArray();

    /// <summary>Every key as an environment variable, for example <c>MUSTAFAR__Model__Path</c>.</summary>
    public static IReadOnlyList<string> EnvironmentVariables { get; } = All.Select(MustafarEnvironment.ToVariable).ToArray();

    /// <summary>The keys of one options class bound at <paramref name="section"/>: its settable public properties.
    /// Hosts with options of their own list them with this too.</summary>
    public static IEnumerable<string> Of(Type optionsType, string section) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
            .Select(p => $"{section}:{p.Name}");

    /// <summary>Whether an environment variable name sets one of the runtime's keys (case-insensitively, as
    /// .NET configuration reads it).</summary>
    public static bool IsKnownEnvironmentVariable(string name) =>
        All.Contains(name.Replace("__", ":", StringComparison.Ordinal), StringComparer.OrdinalIgnoreCase);
}
