using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Common;

/// <summary>The activation functions named by transformers' <c>hidden_act</c> config values.</summary>
internal static class Activations
{
    /// <summary>Returns the activation for a config name; unknown names fail with the list of known ones.</summary>
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        // OpenAI CLIP: x * sigmoid(1.702 x).
        "quick_gelu" => x => x * nn.functional.sigmoid(x.Mul(1.702)),
        // Exact erf GELU (OpenCLIP, LLaVA's projector).
        "gelu" => x => nn.functional.gelu(x),
        "gelu_pytorch_tanh" or "gelu_new" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "silu" or "swish" => x => nn.functional.silu(x),
        "relu" => x => nn.functional.relu(x),
        _ => throw new NotSupportedException($"activation '{name}' is not supported (known: quick_gelu, gelu, gelu_new, gelu_pytorch_tanh, silu, relu)"),
    };
}
