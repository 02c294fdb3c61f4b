using System.Runtime.InteropServices;
using TorchSharp;

namespace Mustafar.Models.Imaging;

/// <summary>A model-ready image: float32 CHW [3, Height, Width], plus what the caller may want to report.</summary>
public sealed record PreprocessedImage(float[] Pixels, int Height, int Width, int SourceWidth, int SourceHeight, AspectFit Aspect)
{
    public long[] Shape => [3, Height, Width];

    /// <summary>The pixels as a new float32 CPU tensor [3, Height, Width], owned by the caller's dispose scope.</summary>
    public torch.Tensor ToTensor()
    {
        var tensor = torch.empty(Shape, torch.float32, torch.CPU);
        Pixels.CopyTo(MemoryMarshal.Cast<byte, float>(tensor.bytes));
        return tensor;
    }
}
