using Mustafar.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>What one U-Net pass produced: the noise prediction when it ran to the end, and the requested taps as
/// [batch, c, h, w] maps (Time-Emb as [batch, c, 1, 1]), in the caller's dispose scope.</summary>
public sealed record UNetOutput(Tensor? Sample, IReadOnlyDictionary<string, Tensor> Taps);

/// <summary>
/// diffusers' UNet2DConditionModel with the Stable Diffusion topology: conv_in, time embedding, down blocks, mid
/// block, up blocks consuming the skip connections, conv_norm_out, act, conv_out. Activations can be tapped by
/// name (<see cref="UNetTapCatalog"/>); with taps requested the forward stops as soon as the last of them is
/// computed, so a tap in the middle of the up path costs only the work up to it.
/// </summary>
public sealed class UNet2DConditionModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly RoutedConv2d conv_in;
    private readonly TimestepEmbedding time_embedding;
    private readonly ModuleList<UNetDownBlock2D> down_blocks;
    private readonly UNetMidBlock2DCrossAttn mid_block;
    private readonly ModuleList<UNetUpBlock2D> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly RoutedConv2d conv_out;
    private readonly Func<Tensor, Tensor> _activation;

    public UNet2DConditionConfig Config { get; }
    internal UNetTapCatalog Catalog { get; }

    /// <summary>Every tap a U-Net of <paramref name="config"/> can return, with its grid at a latent of the given size:
    /// what GetModelInfo lists, from the config alone (no weights), for tools that size a fusion module to a tap.</summary>
    public static IReadOnlyList<UNetTapInfo> DescribeTaps(UNet2DConditionConfig config, int latentHeight, int latentWidth) =>
        new UNetTapCatalog(config).Describe(latentHeight, latentWidth);

    public UNet2DConditionModel(UNet2DConditionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(UNet2DConditionModel))
    {
        Config = config;
        Catalog = new UNetTapCatalog(config);
        var channels = config.BlockOutChannels;
        conv_in = new RoutedConv2d(config.InChannels, channels[0], config.ConvInKernel, padding: (config.ConvInKernel - 1) / 2, device: device, dtype: dtype);
        time_embedding = new TimestepEmbedding(channels[0], config.TimeEmbedDim, config, device: device, dtype: dtype);
        down_blocks = new ModuleList<UNetDownBlock2D>();
        for (var i = 0; i < config.BlockCount; i++)
            down_blocks.Add(new UNetDownBlock2D(i, i == 0 ? channels[0] : channels[i - 1], config, device: device, dtype: dtype));
        mid_block = new UNetMidBlock2DCrossAttn(config, device: device, dtype: dtype);
        up_blocks = new ModuleList<UNetUpBlock2D>();
        for (var i = 0; i < config.BlockCount; i++) up_blocks.Add(new UNetUpBlock2D(i, config, device: device, dtype: dtype));
        conv_norm_out = nn.GroupNorm(config.NormNumGroups, channels[0], config.NormEps, device: device, dtype: dtype);
        conv_out = new RoutedConv2d(channels[0], config.OutChannels, config.ConvOutKernel, padding: (config.ConvOutKernel - 1) / 2, device: device, dtype: dtype);
        _activation = Activations.Get(config.ActFn);
        RegisterComponents();
    }

    /// <summary>The full pass: the noise prediction [batch, out, h, w].</summary>
    public override Tensor forward(Tensor sample, Tensor timesteps, Tensor encoderHiddenStates)
    {
        using var scope = NewDisposeScope();
        return Run(sample, timesteps, encoderHiddenStates, []).Sample!.MoveToOuterDisposeScope();
    }

    /// <param name="sample">Noisy latents [batch, in, h, w].</param>
    /// <param name="timesteps">[batch] or a scalar broadcast to the batch.</param>
    /// <param name="encoderHiddenStates">Text states [batch, tokens, cross_attention_dim].</param>
    /// <param name="taps">Tap names (validated against <see cref="Catalog"/>); empty runs the full pass.</param>
    public UNetOutput Run(Tensor sample, Tensor timesteps, Tensor encoderHiddenStates, IReadOnlyCollection<string> taps)
    {
        var wanted = Catalog.Resolve(taps);
        using var scope = NewDisposeScope();
        var recorder = new UNetTapRecorder(wanted);
        try
        {
            var sampleOut = Forward(sample, timesteps.dim() == 0 ? timesteps.expand(sample.shape[0]) : timesteps, encoderHiddenStates, recorder);
            return new UNetOutput(sampleOut?.MoveToOuterDisposeScope(), recorder.MoveToOuterOf(scope));
        }
        catch
        {
            recorder.DisposeCaptured();
            throw;
        }
    }

    // Returns null when the taps were complete before the end.
    private Tensor? Forward(Tensor sample, Tensor timesteps, Tensor context, UNetTapRecorder taps)
    {
        var embedding = time_embedding.forward(timesteps);
        taps.Record("time_embedding", embedding);
        if (taps.IsComplete) return null;

        var hidden = conv_in.forward(sample);
        var skips = new List<Tensor> { hidden };
        foreach (var block in down_blocks)
        {
            (hidden, var blockSkips) = block.Run(hidden, embedding, context, taps);
            if (taps.IsComplete) return null;
            skips.AddRange(blockSkips);
        }
        hidden = mid_block.Run(hidden, embedding, context, taps);
        if (taps.IsComplete) return null;

        foreach (var block in up_blocks)
        {
            var mine = skips.GetRange(skips.Count - block.ResnetCount, block.ResnetCount);
            skips.RemoveRange(skips.Count - block.ResnetCount, block.ResnetCount);
            // Upsample to the next skip's size: equal to x2 when the latent divides evenly, and what diffusers'
            // forward_upsample_size does when it does not.
            var upsampleSize = skips.Count > 0 ? skips[^1].shape[2..] : null;
            hidden = block.Run(hidden, mine, embedding, context, upsampleSize, taps);
            if (taps.IsComplete) return null;
        }
        return conv_out.forward(_activation(conv_norm_out.forward(hidden)));
    }
}
