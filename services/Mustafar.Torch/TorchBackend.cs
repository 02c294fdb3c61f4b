using System.Reflection;

namespace Mustafar.Torch;

/// <summary>Which libtorch package this build links: "cpu" or "cuda" (from the TorchBackend build property).</summary>
public static class TorchBackend
{
    public static string Name { get; } =
        typeof(TorchBackend).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";
}
