using Mustafar.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Fusion;

/// <summary>transformers' LlavaMultiModalProjector, LLaVA-1.5's <c>mlp2x_gelu</c>: linear_2(act(linear_1(x))). The
/// original repository saves the same layers as <c>mm_projector.0</c> and <c>mm_projector.2</c>.</summary>
internal sealed class LlavaMultiModalProjector : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_1;
    private readonly Linear linear_2;
    private readonly Func<Tensor, Tensor> _activation;

    public LlavaMultiModalProjector(int inputChannels, int textHidden, string activation, bool bias, Device? device = null, ScalarType? dtype = null)
        : base(nameof(LlavaMultiModalProjector))
    {
        linear_1 = nn.Linear(inputChannels, textHidden, bias, device, dtype);
        linear_2 = nn.Linear(textHidden, textHidden, bias, device, dtype);
        _activation = Activations.Get(activation);
        RegisterComponents();
    }

    /// <param name="features">[batch, tokens, input channels]</param>
    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        return linear_2.forward(_activation(linear_1.forward(features))).MoveToOuterDisposeScope();
    }
}
