using Mustafar.Models.Clip;
using Mustafar.Models.Fusion;

namespace Mustafar.Train.Features;

/// <summary>The CLIP features a checkpoint's projector was built for, asked of a vision tower: its layer and token
/// selection, checked against the tower's token count and width.</summary>
internal static class ProjectorClipRequest
{
    public static ClipFeatureRequest Resolve(ClipVisionEncoder encoder, FusionConfig fusion, string folder)
    {
        var request = encoder.Resolve(fusion.Clip.ClipSelectLayer, fusion.Clip.ClipKeepCls ? ClipFeatureSelect.ClsPatch : ClipFeatureSelect.Patch);
        if (request.TokenCount != fusion.Clip.Tokens || encoder.Info.HiddenSize != fusion.Clip.Channels)
            throw new InvalidDataException($"{folder}: the vision tower gives [{request.TokenCount}, {encoder.Info.HiddenSize}], the checkpoint's projector takes {fusion.Clip}");
        return request;
    }
}
