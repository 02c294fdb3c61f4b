namespace Mustafar.Models.Diffusion.UNet;

/// <summary>How a tapped module's output is laid out before the model turns it into a [batch, c, h, w] map.</summary>
public enum TapLayout
{
    /// <summary>Already [batch, c, h, w] (resnets, Transformer2DModel, block outputs).</summary>
    Map,
    /// <summary>[batch, h*w, c] tokens (transformer blocks and their q projections).</summary>
    Tokens,
    /// <summary>[batch, c] (the time embedding), returned as a 1x1 map.</summary>
    Vector,
}

/// <summary>One named activation of the U-Net, by the grammar of Meng et al. 2024 used by the paper:
/// <c>{D-L i | Mid | U-L i}-R j-{Res-Out | Attn-Out | B k-Out | B k-Self-Q | B k-Cross-Q}</c>, <c>{D-L i | U-L i | Mid}-Out</c>
/// and <c>Time-Emb</c>, where L is the block index, R the index within its resnets or attentions, B the
/// transformer block.</summary>
/// <param name="Name">For example "U-L1-R1-B0-Cross-Q".</param>
/// <param name="ModulePath">The diffusers module whose output it is, for example "up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_q".</param>
/// <param name="Channels">Channels of the tap.</param>
/// <param name="Level">Spatial level: 0 is the latent grid, each level halves it; -1 for the time embedding.</param>
/// <param name="Order">Position in forward order: the forward stops after the largest requested.</param>
public sealed record UNetTap(string Name, string ModulePath, int Channels, int Level, TapLayout Layout, int Order);

/// <summary>A tap with its grid at one latent size.</summary>
public sealed record UNetTapInfo(string Name, string ModulePath, int GridHeight, int GridWidth, int Channels);
