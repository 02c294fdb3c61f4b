using static TorchSharp.torch;

namespace Mustafar.Models.Fusion;

/// <summary>Turns a batch of images' features into LLM input embeddings, as the checkpoint's fusion mode says.</summary>
internal static class VisualFusion
{
    /// <param name="clip">[images, clip tokens, clip channels] in the model dtype and device.</param>
    /// <param name="diffusion">[images, diffusion tokens, diffusion channels], or null for clip-only.</param>
    /// <returns>[images, <see cref="FusionConfig.ImageTokens"/>, text hidden].</returns>
    public static Tensor Project(FusionConfig config, LlavaMultiModalProjector projector, MustafarFusionModules? extras, Tensor clip, Tensor? diffusion)
    {
        using var scope = NewDisposeScope();
        if (config.Mode.UsesDiffusion() && diffusion is null)
            throw new ArgumentException($"{config.Mode.ConfigName()} needs diffusion features", nameof(diffusion));
        var result = config.Mode switch
        {
            FusionKind.ClipOnly => projector.forward(clip),
            FusionKind.ConcatTokens => cat([projector.forward(clip), Extras(extras).ProjectDiffusion(diffusion!)], 1),
            FusionKind.ConcatChannels => projector.forward(cat([clip, ResizeToClipGrid(config, diffusion!)], -1)),
            FusionKind.CrossAttention => projector.forward(Extras(extras).AttendToDiffusion(clip, diffusion!)),
            _ => throw new ArgumentOutOfRangeException(nameof(config)),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>[images, dh*dw, c] on the diffusion grid -> [images, gh*gw, c] on the CLIP grid (row-major tokens both).</summary>
    internal static Tensor ResizeToClipGrid(FusionConfig config, Tensor diffusion)
    {
        using var scope = NewDisposeScope();
        var (images, channels) = (diffusion.shape[0], diffusion.shape[2]);
        var (spec, clip) = (config.Diffusion!, config.Clip);
        var grid = diffusion.view(images, spec.GridHeight, spec.GridWidth, channels).permute(0, 3, 1, 2);
        bool? alignCorners = config.Resize is InterpolationMode.Bilinear or InterpolationMode.Bicubic ? false : null;
        var resized = nn.functional.interpolate(grid, [clip.GridHeight, clip.GridWidth], mode: config.Resize, align_corners: alignCorners);
        return resized.permute(0, 2, 3, 1).reshape(images, clip.GridHeight * clip.GridWidth, channels).MoveToOuterDisposeScope();
    }

    private static MustafarFusionModules Extras(MustafarFusionModules? extras) =>
        extras ?? throw new InvalidOperationException("the fusion mode needs the checkpoint's mustafar_fusion modules");
}
