using Mustafar.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>transformers' LlamaMLP (SwiGLU): down_proj(act(gate_proj(x)) * up_proj(x)).</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;
    private readonly Func<Tensor, Tensor> _activation;

    public LlamaMlp(LlamaConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaMlp))
    {
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype);
        _activation = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        // call, not forward: it runs forward hooks, which is how a trainer's LoRA adapters add to a projection.
        return down_proj.call(_activation(gate_proj.call(hidden)) * up_proj.call(hidden)).MoveToOuterDisposeScope();
    }
}
