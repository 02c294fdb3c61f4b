using Microsoft.Extensions.Configuration;
using Mustafar.Serving;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>
/// The environment a deployment gives a model service, read as the host reads it: every variable must be one of the
/// runtime's options (<see cref="ServingOptionKeys"/>, derived from its options classes) or a known platform
/// variable, and the effective options are bound by the same configuration binder the host uses, from the host's
/// appsettings.json (when the host is in this checkout) overridden by the environment, so ports and timeouts left
/// unset take the values the host would run with.
/// </summary>
internal static class ModelServiceConfiguration
{
    /// <summary>Variables the images and manifests set that are not options: the CUDA container runtime's, .NET's,
    /// and HOME (a writable home for caches when the root filesystem is read-only).</summary>
    public static readonly IReadOnlySet<string> PlatformVariables = new HashSet<string>(StringComparer.Ordinal)
    {
        "HOME", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "DOTNET_RUNNING_IN_CONTAINER",
    };

    /// <summary>Every variable that is neither an option of the model services nor a platform variable.</summary>
    public static IEnumerable<string> UnknownVariables(string where, IReadOnlyDictionary<string, string> environment) =>
        environment.Keys
            .Where(name => !PlatformVariables.Contains(name) && !ServingOptionKeys.IsKnownEnvironmentVariable(name))
            .Select(name => $"{where}: {name} is not an option of the model services (Mustafar.Serving.ServingOptionKeys) nor a platform variable");

    public static ServerOptions Server(ModelService service, IReadOnlyDictionary<string, string> environment) =>
        Bind<ServerOptions>(service, environment, ServerOptions.Section);

    public static ModelOptions Model(ModelService service, IReadOnlyDictionary<string, string> environment) =>
        Bind<ModelOptions>(service, environment, ModelOptions.Section);

    private static T Bind<T>(ModelService service, IReadOnlyDictionary<string, string> environment, string section) where T : new() =>
        new ConfigurationBuilder()
            .AddJsonFile(Mesh.InRepo(service.AppSettings), optional: true)
            .AddInMemoryCollection(ToKeys(environment))
            .Build().GetSection(section).Get<T>() ?? new T();

    public static IEnumerable<KeyValuePair<string, string?>> ToKeys(IReadOnlyDictionary<string, string> environment, string? prefix = null) =>
        environment
            .Where(e => prefix is null || e.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(e => new KeyValuePair<string, string?>(
                (prefix is null ? e.Key : e.Key[prefix.Length..]).Replace("__", ":", StringComparison.Ordinal), e.Value));
}
