using Mustafar.ServiceDefaults;
using Mustafar.Torch;

namespace Mustafar.Serving;

/// <summary>Which checkpoint a host loads and where it computes. Section <c>Mustafar:Model</c>; environment
/// variables <c>MUSTAFAR__Model__Path</c>, <c>MUSTAFAR__Model__Device</c>, ...</summary>
public sealed class ModelOptions : IValidatedOptions
{
    public const string Section = ServingOptionKeys.Root + ":Model";

    /// <summary>The checkpoint: a file or a folder in the model's HF / diffusers layout. Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>Identifier reported to callers and in metrics; empty means the checkpoint's file or folder name.</summary>
    public string Id { get; set; } = "";

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; resolved by <see cref="TorchRuntime.ResolveDevice"/>.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Compute dtype of the weights: <c>float32</c>, <c>float16</c> or <c>bfloat16</c>.</summary>
    public string DType { get; set; } = "float32";

    /// <summary>libtorch intra-op threads; 0 keeps libtorch's default (one per core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>The configured id, or the checkpoint's name when none is configured.</summary>
    public string ResolveId()
    {
        if (!string.IsNullOrWhiteSpace(Id)) return Id.Trim();
        var trimmed = Path.TrimEnd('/', '\\');
        return trimmed.Length == 0 ? "model" : System.IO.Path.GetFileName(trimmed);
    }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            yield return $"{Section}:Path is required: the checkpoint file or folder to load";
        else if (!File.Exists(Path) && !Directory.Exists(Path))
            yield return $"{Section}:Path '{Path}' does not exist";
        if (IntraOpThreads < 0)
            yield return $"{Section}:IntraOpThreads must be 0 (libtorch default) or positive, not {IntraOpThreads}";
        var deviceError = Check(() => TorchRuntime.ResolveDevice(Device));
        if (deviceError is not null) yield return $"{Section}:Device: {deviceError}";
        var dtypeError = Check(() => TorchDTypes.ParseComputeDType(DType));
        if (dtypeError is not null) yield return $"{Section}:DType: {dtypeError}";
    }

    private static string? Check(Action resolve)
    {
        try
        {
            resolve();
            return null;
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
            return error.Message;
        }
    }
}
