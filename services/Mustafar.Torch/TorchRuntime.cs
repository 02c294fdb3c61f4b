using System.Globalization;
using TorchSharp;

namespace Mustafar.Torch;

/// <summary>
/// Resolves the configured device and dtype. Asking for CUDA where it is absent fails at start-up with a
/// message that says why, instead of the first request failing deep inside libtorch.
/// </summary>
public static class TorchRuntime
{
    /// <summary>Parses "cpu", "cuda" or "cuda:N" and checks that the device exists here.</summary>
    public static torch.Device ResolveDevice(string? text)
    {
        var spec = string.IsNullOrWhiteSpace(text) ? "cpu" : text.Trim().ToLowerInvariant();
        if (spec == "cpu") return torch.CPU;
        if (spec == "meta") return torch.META;

        if (spec != "cuda" && !spec.StartsWith("cuda:", StringComparison.Ordinal))
            throw new ArgumentException($"device '{text}' is not one of cpu, cuda, cuda:N");
        var index = 0;
        if (spec.Length > 4 && (!int.TryParse(spec.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index)))
            throw new ArgumentException($"device '{text}' has no valid CUDA index after 'cuda:'");

        if (!torch.cuda.is_available())
            throw new InvalidOperationException(
                $"device '{text}' was requested but CUDA is not available: this build uses the '{TorchBackend.Name}' libtorch backend " +
                "(build with -p:TorchBackend=cuda for GPU images) or no GPU/driver is visible");
        var count = torch.cuda.device_count();
        if (index >= count)
            throw new InvalidOperationException($"device '{text}' was requested but only {count} CUDA device(s) are visible");
        return new torch.Device(DeviceType.CUDA, index);
    }

    /// <summary>Caps libtorch's intra-op threads; 0 keeps libtorch's default (one per core).</summary>
    public static void ConfigureThreads(int intraOpThreads)
    {
        if (intraOpThreads > 0) torch.set_num_threads(intraOpThreads);
    }
}
