using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Mustafar.Gateway;
using Mustafar.ServiceDefaults;
using Yarp.ReverseProxy.Configuration;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>
/// The environment a deployment gives the gateway, read as the gateway reads it: appsettings.json, then every
/// environment variable unprefixed (ASP.NET Core's default), then the <c>MUSTAFAR__</c>-prefixed ones
/// (<see cref="MustafarEnvironment.Prefix"/>). A variable must name a real option: a key of
/// <see cref="GatewayOptions"/> (derived by reflection) or a property of a YARP destination that appsettings.json
/// already defines (so it replaces a default destination rather than adding one beside it).
/// </summary>
internal static class GatewayConfiguration
{
    public static readonly IReadOnlySet<string> PlatformVariables = new HashSet<string>(StringComparer.Ordinal)
    {
        "HOME", "ASPNETCORE_HTTP_PORTS", "DOTNET_RUNNING_IN_CONTAINER",
    };

    /// <summary>Every key of the gateway's options, e.g. <c>Gateway:Cache:Redis</c>; a list reads as
    /// <c>Gateway:ApiKeys:*</c> (its items are <c>Gateway:ApiKeys:0</c>, ...).</summary>
    public static IReadOnlyList<string> OptionKeys { get; } = KeysOf(typeof(GatewayOptions), GatewayOptions.SectionName).ToList();

    /// <summary>The settable properties of a YARP destination (Address, Health, Host, Metadata).</summary>
    public static IReadOnlyList<string> DestinationProperties { get; } =
        typeof(DestinationConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite).Select(p => p.Name).ToList();

    public static IConfiguration AppSettings() => new ConfigurationBuilder().AddJsonFile(Mesh.GatewayAppSettings).Build();

    /// <summary>The configuration the gateway runs with under <paramref name="environment"/>.</summary>
    public static IConfiguration Effective(IReadOnlyDictionary<string, string> environment) =>
        new ConfigurationBuilder()
            .AddJsonFile(Mesh.GatewayAppSettings)
            .AddInMemoryCollection(ModelServiceConfiguration.ToKeys(environment))
            .AddInMemoryCollection(ModelServiceConfiguration.ToKeys(environment, MustafarEnvironment.Prefix))
            .Build();

    public static IEnumerable<string> UnknownVariables(string where, IReadOnlyDictionary<string, string> environment)
    {
        var defaults = AppSettings();
        foreach (var name in environment.Keys)
        {
            if (PlatformVariables.Contains(name)) continue;
            var unprefixed = name.StartsWith(MustafarEnvironment.Prefix, StringComparison.OrdinalIgnoreCase)
                ? name[MustafarEnvironment.Prefix.Length..]
                : name;
            var key = unprefixed.Replace("__", ":", StringComparison.Ordinal);
            if (IsOption(key)) continue;
            if (DestinationProblem(key, defaults) is { } problem)
                yield return $"{where}: {name}: {problem}";
        }
    }

    /// <summary>The pools' destinations as configured: cluster -> destination -> (Address, Health).</summary>
    public static IReadOnlyList<(string Cluster, string Destination, string? Address, string? Health)> Destinations(IConfiguration configuration) =>
        configuration.GetSection("ReverseProxy:Clusters").GetChildren()
            .SelectMany(cluster => cluster.GetSection("Destinations").GetChildren()
                .Select(d => (cluster.Key, d.Key, d["Address"], d["Health"])))
            .ToList();

    /// <summary>The port of a Kestrel endpoint of appsettings.json (Kestrel:Endpoints:Http, :Grpc).</summary>
    public static int KestrelPort(IConfiguration configuration, string endpoint) =>
        new Uri(configuration[$"Kestrel:Endpoints:{endpoint}:Url"]
            ?? throw new InvalidDataException($"no Kestrel:Endpoints:{endpoint}:Url in the gateway's configuration")).Port;

    private static bool IsOption(string key) => OptionKeys.Any(option => option.EndsWith(":*", StringComparison.Ordinal)
        ? key.StartsWith(option[..^1], StringComparison.OrdinalIgnoreCase) && int.TryParse(key[(option.Length - 1)..], out _)
        : string.Equals(option, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Null when <paramref name="key"/> sets a property of a destination appsettings.json defines.</summary>
    private static string? DestinationProblem(string key, IConfiguration defaults)
    {
        var parts = key.Split(':');
        if (parts is not ["ReverseProxy", "Clusters", var cluster, "Destinations", var destination, var property, ..])
            return $"not an option of the gateway ({string.Join(", ", OptionKeys.Take(3))}, ... from {nameof(GatewayOptions)}) nor a YARP destination setting";
        if (!defaults.GetSection($"ReverseProxy:Clusters:{cluster}").Exists())
            return $"the gateway has no cluster '{cluster}' (appsettings.json: {string.Join(", ", defaults.GetSection("ReverseProxy:Clusters").GetChildren().Select(c => c.Key))})";
        if (!defaults.GetSection($"ReverseProxy:Clusters:{cluster}:Destinations:{destination}").Exists())
            return $"cluster '{cluster}' has no destination '{destination}' in appsettings.json, so this would add one beside the default instead of replacing it";
        var known = DestinationProperties.FirstOrDefault(p => string.Equals(p, property, StringComparison.OrdinalIgnoreCase));
        if (known is null) return $"'{property}' is not a property of a YARP destination ({string.Join(", ", DestinationProperties)})";
        return parts.Length == 6 || known == nameof(DestinationConfig.Metadata) ? null : $"'{property}' takes no sub-keys";
    }

    private static IEnumerable<string> KeysOf(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
        {
            var key = $"{prefix}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsLeaf(propertyType)) yield return key;
            else if (ItemType(propertyType) is { } item && IsLeaf(item)) yield return key + ":*";
            else foreach (var nested in KeysOf(propertyType, key)) yield return nested;
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);

    private static Type? ItemType(Type type) =>
        type.IsArray ? type.GetElementType()
        : typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[0]
        : null;
}
