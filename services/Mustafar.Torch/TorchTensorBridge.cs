using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;
using TorchSharp;

namespace Mustafar.Torch;

/// <summary>Moves tensors between the wire format and TorchSharp with one copy each way: the received bytes go
/// straight into native memory, and a torch tensor's bytes go into the array that the message then wraps.</summary>
public static class TorchTensorBridge
{
    /// <summary>Copies a validated view into a new torch tensor on <paramref name="device"/>.</summary>
    public static torch.Tensor ToTorch(TensorView view, torch.Device? device = null)
    {
        var result = torch.empty(view.Shape.ToArray(), TorchDTypes.ToScalarType(view.DType));
        if (view.ElementCount > 0) view.Data.Span.CopyTo(result.bytes);
        if (device is null || device.type == DeviceType.CPU) return result;
        using (result) return result.to(device);
    }

    /// <summary>Validates a message and copies it into a torch tensor.</summary>
    public static torch.Tensor ToTorch(Tensor tensor, string field, TensorLimits? limits = null, torch.Device? device = null) =>
        ToTorch(TensorView.Open(tensor, field, limits), device);

    /// <summary>Copies a torch tensor (any device, any layout) into a message, converting to
    /// <paramref name="dtype"/> when given.</summary>
    public static Tensor ToProto(torch.Tensor tensor, DType dtype = DType.Unspecified)
    {
        using var scope = torch.NewDisposeScope();
        var target = dtype == DType.Unspecified ? tensor.dtype : TorchDTypes.ToScalarType(dtype);
        var host = tensor.to(target, torch.CPU).contiguous();
        var bytes = new byte[host.numel() * host.element_size()];
        if (bytes.Length > 0) host.bytes.CopyTo(bytes);
        return TensorCodec.Wrap(TorchDTypes.ToDType(target), host.shape, bytes);
    }
}
