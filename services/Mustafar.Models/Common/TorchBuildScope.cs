using TorchSharp;

namespace Mustafar.Models.Common;

/// <summary>
/// Builds modules directly in a target dtype and device: sets libtorch's default dtype and TorchSharp's default
/// device for the lifetime of the scope and restores both afterwards. Both are process-wide, so scopes are
/// serialised by a lock held until disposal (dispose on the thread that created the scope). On the meta device
/// parameters have shapes but no storage, which is how key layouts of real-size checkpoints are checked.
/// </summary>
public sealed class TorchBuildScope : IDisposable
{
    private static readonly Lock Gate = new();

    private readonly torch.ScalarType _previousDType;
    private readonly torch.Device _previousDevice;
    private bool _disposed;

    public TorchBuildScope(torch.ScalarType dtype, torch.Device device)
    {
        Gate.Enter();
        _previousDType = torch.get_default_dtype();
        _previousDevice = torch.get_default_device();
        torch.set_default_dtype(dtype);
        torch.set_default_device(device);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        torch.set_default_device(_previousDevice);
        torch.set_default_dtype(_previousDType);
        Gate.Exit();
    }
}
