using Mustafar.Models.Common;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Blocks;

/// <summary>diffusers' ResnetBlock2D ("default" time-embedding norm): GroupNorm, act, conv3x3, plus the projected
/// time embedding when there is one (the U-Net; the VAE has none), GroupNorm, act, conv3x3, and a 1x1
/// conv_shortcut on the input when the channel count changes; output (x + h) / output_scale_factor.</summary>
internal sealed class ResnetBlock2D : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly RoutedConv2d conv1;
    private readonly Linear? time_emb_proj;
    private readonly GroupNorm norm2;
    private readonly RoutedConv2d conv2;
    private readonly RoutedConv2d? conv_shortcut;
    private readonly Func<Tensor, Tensor> _activation;
    private readonly double _outputScaleFactor;

    public ResnetBlock2D(long inChannels, long outChannels, long? timeEmbeddingChannels, int groups, double eps,
        string activation, double outputScaleFactor = 1.0, Device? device = null, ScalarType? dtype = null) : base(nameof(ResnetBlock2D))
    {
        norm1 = nn.GroupNorm(groups, inChannels, eps, device: device, dtype: dtype);
        conv1 = new RoutedConv2d(inChannels, outChannels, 3, padding: 1, device: device, dtype: dtype);
        if (timeEmbeddingChannels is { } temb) time_emb_proj = nn.Linear(temb, outChannels, device: device, dtype: dtype);
        norm2 = nn.GroupNorm(groups, outChannels, eps, device: device, dtype: dtype);
        conv2 = new RoutedConv2d(outChannels, outChannels, 3, padding: 1, device: device, dtype: dtype);
        if (inChannels != outChannels) conv_shortcut = new RoutedConv2d(inChannels, outChannels, 1, device: device, dtype: dtype);
        _activation = Activations.Get(activation);
        _outputScaleFactor = outputScaleFactor;
        RegisterComponents();
    }

    /// <param name="input">[batch, in, h, w]</param>
    /// <param name="timeEmbedding">[batch, temb] or null in the VAE.</param>
    public override Tensor forward(Tensor input, Tensor? timeEmbedding)
    {
        using var scope = NewDisposeScope();
        var hidden = conv1.forward(_activation(norm1.forward(input)));
        if (time_emb_proj is not null && timeEmbedding is not null)
            hidden = hidden.Add(time_emb_proj.forward(_activation(timeEmbedding)).unsqueeze(-1).unsqueeze(-1));
        hidden = conv2.forward(_activation(norm2.forward(hidden)));
        var shortcut = conv_shortcut?.forward(input) ?? input;
        var output = shortcut.Add(hidden);
        if (_outputScaleFactor != 1.0) output = output.Div(_outputScaleFactor);
        return output.MoveToOuterDisposeScope();
    }
}
