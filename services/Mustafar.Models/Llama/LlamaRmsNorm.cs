using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>transformers' LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) computed in float32, cast back to the input
/// dtype, then scaled by <c>weight</c> (in fp16/bf16 the float32 statistics are what keeps it stable).</summary>
internal sealed class LlamaRmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    public LlamaRmsNorm(int hiddenSize, double eps, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaRmsNorm))
    {
        weight = nn.Parameter(ones(hiddenSize, dtype, device));
        _eps = eps;
        RegisterComponents();
    }

    /// <summary>[hidden]</summary>
    public Tensor Weight => weight;

    public double Eps => _eps;

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var inputType = hidden.dtype;
        var x = hidden.to(ScalarType.Float32);
        var variance = x.Pow(2).mean([-1], keepdim: true);
        x = x * rsqrt(variance.Add(_eps));
        return (weight * x.to(inputType)).MoveToOuterDisposeScope();
    }
}
