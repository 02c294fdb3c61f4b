using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Common;

/// <summary>
/// The one way every model family is built: each module's constructor takes the target <c>device</c> and
/// <c>dtype</c> and creates its parameters and buffers there (<c>nn.Linear(..., device, dtype)</c>), so that nothing
/// touches TorchSharp's process-wide default dtype or device (another thread may be creating tensors) and a large
/// model is never first made in float32 on the CPU. On the meta device parameters have shapes but no storage,
/// which is how the key layouts of real-size checkpoints are checked. Loaders take <c>(folder, device, dtype)</c>.
/// </summary>
public static class ModuleBuild
{
    /// <summary>Runs <paramref name="create"/> with <paramref name="device"/> and <paramref name="dtype"/> under
    /// no_grad, detaches the parameters and buffers from any dispose scope of the caller (the module owns them for its
    /// whole life) and puts the module in eval mode. A floating-point parameter or buffer made elsewhere (a constructor
    /// that did not pass <c>device</c> and <c>dtype</c> on) fails the build, naming it.</summary>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a floating-point type.</exception>
    public static T Build<T>(Device device, ScalarType dtype, Func<Device, ScalarType, T> create) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(create);
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ArgumentException($"{dtype} is not a floating-point compute dtype", nameof(dtype));
        T module;
        using (no_grad()) module = create(device, dtype);
        var misplaced = module.named_parameters().Select(p => (p.name, Tensor: (Tensor)p.parameter)).Concat(module.named_buffers())
            .Where(p => is_floating_point(p.Item2) && (p.Item2.dtype != dtype || p.Item2.device_type != device.type))
            .Select(p => $"{p.Item1} ({p.Item2.dtype}, {p.Item2.device_type})")
            .ToList();
        if (misplaced.Count > 0)
        {
            module.Dispose();
            throw new InvalidOperationException(
                $"{typeof(T).Name} was not built in {dtype} on {device.type}: a constructor did not pass device and dtype on to {string.Join(", ", misplaced)}");
        }
        foreach (var parameter in module.parameters()) parameter.DetachFromDisposeScope();
        foreach (var buffer in module.buffers()) buffer.DetachFromDisposeScope();
        module.eval();
        return module;
    }
}
