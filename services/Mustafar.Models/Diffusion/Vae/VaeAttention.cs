using Mustafar.Models.Diffusion.Blocks;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Mustafar.Models.KernelChecks;

namespace Mustafar.Models.Diffusion.Vae;

/// <summary>The VAE mid-block's diffusers Attention: GroupNorm (eps 1e-6) over the map, single-head attention
/// with biased q/k/v over [batch, h*w, c], to_out.0, plus the input (residual_connection, rescale 1). Old files
/// name the projections query/key/value/proj_attn; the loader renames them.</summary>
internal sealed class VaeAttention : nn.Module<Tensor, Tensor>, IAttentionHeads
{
    private readonly GroupNorm group_norm;
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<Linear> to_out;
    private readonly long _heads;

    public VaeAttention(long channels, int groups, double eps, long headDim, Device? device = null, ScalarType? dtype = null) : base(nameof(VaeAttention))
    {
        group_norm = nn.GroupNorm(groups, channels, eps, device: device, dtype: dtype);
        to_q = nn.Linear(channels, channels, device: device, dtype: dtype);
        to_k = nn.Linear(channels, channels, device: device, dtype: dtype);
        to_v = nn.Linear(channels, channels, device: device, dtype: dtype);
        to_out = new ModuleList<Linear>(nn.Linear(channels, channels, device: device, dtype: dtype));
        _heads = channels / headDim;
        RegisterComponents();
    }

    long IAttentionHeads.Heads => _heads;

    long IAttentionHeads.HeadDim => to_q.out_features / _heads;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3]);
        var tokens = group_norm.forward(input).view(batch, channels, height * width).transpose(1, 2);
        var attended = AttentionCore.MultiHead(to_q.forward(tokens), to_k.forward(tokens), to_v.forward(tokens), _heads, upcast: false);
        var map = to_out[0].forward(attended).transpose(1, 2).reshape(batch, channels, height, width);
        return map.Add(input).MoveToOuterDisposeScope();
    }
}
