using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' GEGLU: one projection to 2 * inner, split into value and gate, value * gelu(gate).</summary>
internal sealed class Geglu : nn.Module<Tensor, Tensor>
{
    private readonly Linear proj;

    public Geglu(long dim, long inner, Device? device = null, ScalarType? dtype = null) : base(nameof(Geglu))
    {
        proj = nn.Linear(dim, inner * 2, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var halves = proj.forward(input).chunk(2, dim: -1);
        return (halves[0] * nn.functional.gelu(halves[1])).MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' FeedForward with the "geglu" activation: net.0 = GEGLU(dim -> 4 dim), net.1 = dropout,
/// net.2 = Linear(4 dim -> dim). The keys are ff.net.0.proj and ff.net.2.</summary>
internal sealed class GegluFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> net;

    public GegluFeedForward(long dim, Device? device = null, ScalarType? dtype = null) : base(nameof(GegluFeedForward))
    {
        var inner = dim * 4;
        net = new ModuleList<nn.Module<Tensor, Tensor>>(new Geglu(dim, inner, device: device, dtype: dtype), nn.Dropout(0.0), nn.Linear(inner, dim, device: device, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = input;
        foreach (var layer in net) hidden = layer.forward(hidden);
        return hidden.MoveToOuterDisposeScope();
    }
}
