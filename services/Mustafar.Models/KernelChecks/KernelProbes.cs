using Mustafar.Models.Common;
using Mustafar.Models.Llama;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.KernelChecks;

/// <summary>
/// The kernel shapes of a loaded model, found by walking its modules: each distinct convolution, linear layer,
/// normalisation and attention head geometry once. A probe computes a slice of the op (a few output channels or
/// rows, a small batch of 2 with random inputs), which is what keeps the check well under a second for real
/// checkpoints while still meeting every kernel at the model's own channel counts, dtype and device. Batch 2 matters:
/// libtorch hands batched convolutions to oneDNN, where the known defect lives.
/// </summary>
internal static class KernelProbes
{
    private const long ConvOutputSlice = 16;
    private const long LinearRowSlice = 64;
    private const long AttentionTokens = 16;

    public static IReadOnlyList<KernelProbe> For(IEnumerable<nn.Module> roots, Device device, ScalarType dtype, Generator generator)
    {
        // Keyed by geometry before anything is allocated: a real U-Net has hundreds of layers but a few dozen shapes.
        var probes = new Dictionary<string, KernelProbe>(StringComparer.Ordinal);
        void Add(string key, Func<KernelProbe> probe)
        {
            if (!probes.ContainsKey(key)) probes[key] = probe();
        }

        foreach (var module in roots.SelectMany(Walk))
        {
            switch (module)
            {
                case RoutedConv2d conv:
                    Add($"conv2d {conv.InChannels} {conv.Weight.shape[0]} {conv.KernelSize} {conv.Stride} {conv.Padding}",
                        () => Convolution(conv, device, dtype, generator));
                    break;
                case Linear linear:
                    Add($"linear {linear.in_features} {linear.out_features} {linear.bias is not null}", () => LinearRows(linear, device, dtype, generator));
                    break;
                case GroupNorm norm:
                    Add($"group_norm {norm.num_groups} {norm.weight?.shape[0]}", () => GroupNormalization(norm, device, dtype, generator));
                    break;
                case LayerNorm norm:
                    Add($"layer_norm {Dims(norm.normalized_shape)}", () => LayerNormalization(norm, device, dtype, generator));
                    break;
                case LlamaRmsNorm norm:
                    Add($"rms_norm {norm.Weight.shape[0]}", () => RmsNormalization(norm, device, dtype, generator));
                    break;
            }
            if (module is IAttentionHeads attention)
            {
                Add($"sdpa {attention.Heads} {attention.HeadDim}", () => Attention(attention, masked: false, device, dtype, generator));
                Add($"sdpa {attention.Heads} {attention.HeadDim} masked", () => Attention(attention, masked: true, device, dtype, generator));
            }
        }
        return [.. probes.Values];
    }

    private static IEnumerable<nn.Module> Walk(nn.Module root) => [root, .. root.modules()];

    /// <summary>A random float64 input, and the same values rounded to the compute dtype on the device.</summary>
    private static (Tensor Exact, Tensor OnDevice) Input(long[] shape, Device device, ScalarType dtype, Generator generator)
    {
        var onDevice = randn(shape, float64, generator: generator).to(dtype).to(device);
        return (onDevice.to(CPU).to(float64), onDevice);
    }

    private static Tensor AsReference(Tensor t) => t.detach().to(CPU).to(float64);

    private static Tensor Result(Tensor t) => t.to(CPU).to(float64);

    private static string Dims(long[] shape) => $"[{string.Join(",", shape)}]";

    private static KernelProbe Convolution(RoutedConv2d conv, Device device, ScalarType dtype, Generator generator)
    {
        var rows = Math.Min(ConvOutputSlice, conv.Weight.shape[0]);
        var weight = conv.Weight.detach()[TensorIndex.Slice(0, rows)];
        var bias = conv.Bias?.detach()[TensorIndex.Slice(0, rows)];
        var side = Math.Max(4, conv.KernelSize + 1);
        var shape = new[] { 2, conv.InChannels, side, side };
        var (exact, input) = Input(shape, device, dtype, generator);
        var convShape = conv.Shape(device.type, dtype);
        var current = ConvolutionRouting.For(convShape);

        Func<Tensor> By(ConvolutionRoute route) => () => Result(conv.Convolve(input, weight, bias, route));
        var alternatives = Enum.GetValues<ConvolutionRoute>().Where(r => r != current)
            .Select(r => new KernelRoute(RouteName(r), By(r), () => ConvolutionRouting.Choose(convShape, r))).ToList();
        return new KernelProbe("conv2d",
            $"in={conv.InChannels} out={rows}/{conv.Weight.shape[0]} kernel={conv.KernelSize}x{conv.KernelSize} stride={conv.Stride} padding={conv.Padding} " +
            $"input={Dims(shape)} route={RouteName(current)}",
            By(current),
            () => conv.Convolve(exact, AsReference(weight), bias is null ? null : AsReference(bias), ConvolutionRoute.Direct),
            alternatives,
            ReportAlternatives: current != ConvolutionRoute.Direct);
    }

    private static string RouteName(ConvolutionRoute route) => route == ConvolutionRoute.ChannelsLast ? "channels-last" : "direct";

    private static KernelProbe LinearRows(Linear linear, Device device, ScalarType dtype, Generator generator)
    {
        var rows = Math.Min(LinearRowSlice, linear.out_features);
        var weight = linear.weight!.detach()[TensorIndex.Slice(0, rows)];
        var bias = linear.bias?.detach()[TensorIndex.Slice(0, rows)];
        var shape = new[] { 2, 3, linear.in_features };
        var (exact, input) = Input(shape, device, dtype, generator);
        return new KernelProbe("linear", $"in={linear.in_features} out={rows}/{linear.out_features}{(bias is null ? " no bias" : "")} input={Dims(shape)}",
            () => Result(nn.functional.linear(input, weight, bias)),
            () => nn.functional.linear(exact, AsReference(weight), bias is null ? null : AsReference(bias)),
            []);
    }

    private static KernelProbe GroupNormalization(GroupNorm norm, Device device, ScalarType dtype, Generator generator)
    {
        var channels = norm.weight?.shape[0] ?? throw new InvalidOperationException("GroupNorm without affine parameters");
        var shape = new[] { 2, channels, 4, 4 };
        var (exact, input) = Input(shape, device, dtype, generator);
        return new KernelProbe("group_norm", $"groups={norm.num_groups} channels={channels} input={Dims(shape)}",
            () => Result(nn.functional.group_norm(input, norm.num_groups, norm.weight, norm.bias, norm.eps)),
            () => nn.functional.group_norm(exact, norm.num_groups, AsReference(norm.weight!), AsReference(norm.bias!), norm.eps),
            []);
    }

    private static KernelProbe LayerNormalization(LayerNorm norm, Device device, ScalarType dtype, Generator generator)
    {
        long[] shape = [2, 4, .. norm.normalized_shape];
        var (exact, input) = Input(shape, device, dtype, generator);
        return new KernelProbe("layer_norm", $"normalized_shape={Dims(norm.normalized_shape)} input={Dims(shape)}",
            () => Result(nn.functional.layer_norm(input, norm.normalized_shape, norm.weight, norm.bias, norm.eps)),
            () => nn.functional.layer_norm(exact, norm.normalized_shape, norm.weight is null ? null : AsReference(norm.weight),
                norm.bias is null ? null : AsReference(norm.bias), norm.eps),
            []);
    }

    private static KernelProbe RmsNormalization(LlamaRmsNorm norm, Device device, ScalarType dtype, Generator generator)
    {
        var shape = new[] { 2, 4, norm.Weight.shape[0] };
        var (exact, input) = Input(shape, device, dtype, generator);
        return new KernelProbe("rms_norm", $"hidden={shape[2]} eps={norm.Eps} input={Dims(shape)}",
            () => Result(norm.forward(input)),
            () => AsReference(norm.Weight) * exact * rsqrt(exact.Pow(2).mean([-1], keepdim: true).Add(norm.Eps)),
            []);
    }

    private static KernelProbe Attention(IAttentionHeads attention, bool masked, Device device, ScalarType dtype, Generator generator)
    {
        var shape = new[] { 2, attention.Heads, AttentionTokens, attention.HeadDim };
        var (q64, q) = Input(shape, device, dtype, generator);
        var (k64, k) = Input(shape, device, dtype, generator);
        var (v64, v) = Input(shape, device, dtype, generator);
        // The additive causal mask of the text tower and LLaMA: 0 on and below the diagonal, the dtype's lowest value above.
        Tensor? Mask(ScalarType type, Device on) => masked
            ? ScalarSafeOps.Full([AttentionTokens, AttentionTokens], type == float64 ? double.MinValue : LowestOf(type), type, on).triu(1)
            : null;
        return new KernelProbe("sdpa",
            $"heads={attention.Heads} head_dim={attention.HeadDim} q=k=v={Dims(shape)}{(masked ? " additive causal mask" : "")}",
            () => Result(nn.functional.scaled_dot_product_attention(q, k, v, Mask(dtype, device))),
            () =>
            {
                var scores = matmul(q64, k64.transpose(-2, -1)).Div(Math.Sqrt(attention.HeadDim));
                if (Mask(float64, CPU) is { } mask) scores = scores.Add(mask);
                return matmul(scores.softmax(-1), v64);
            },
            []);
    }

    private static double LowestOf(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float32 => float.MinValue,
        _ => double.MinValue,
    };
}
