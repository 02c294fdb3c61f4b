using Mustafar.Tensors;

namespace Mustafar.Models.Clip;

/// <summary>Which tokens of the selected hidden state are returned.</summary>
public enum ClipFeatureSelect
{
    /// <summary>Patch tokens only, the class token dropped: LLaVA's "patch", llava-hf's "default".</summary>
    Patch,

    /// <summary>The class token followed by the patch tokens: LLaVA's "cls_patch", llava-hf's "full".</summary>
    ClsPatch,
}

/// <summary>LLaVA's <c>select_layer</c> / <c>select_feature</c> conventions.</summary>
internal static class ClipFeatureSelection
{
    /// <summary>Parses LLaVA's <c>mm_vision_select_feature</c> or llava-hf's <c>vision_feature_select_strategy</c>.</summary>
    public static ClipFeatureSelect Parse(string value, string source) => value switch
    {
        "patch" or "default" => ClipFeatureSelect.Patch,
        "cls_patch" or "full" => ClipFeatureSelect.ClsPatch,
        _ => throw new InvalidDataException($"{source}: feature selection '{value}' is not one of patch, cls_patch (LLaVA) or default, full (llava-hf)"),
    };

    /// <summary>
    /// The index into hidden_states (0 = embeddings after pre_layrnorm, i = output of layer i) for a select layer
    /// that may count from the end (-1 = last layer, -2 = LLaVA's penultimate). Out-of-range values are the
    /// caller's mistake and fail with an InvalidInputException naming <paramref name="field"/>.
    /// </summary>
    public static int HiddenStateIndex(int selectLayer, int numLayers, string field = "select_layer")
    {
        var index = selectLayer < 0 ? numLayers + 1 + selectLayer : selectLayer;
        if (index < 0 || index > numLayers)
            throw new InvalidInputException(field, $"{selectLayer} is outside {-(numLayers + 1)}..{numLayers} for a {numLayers}-layer vision tower");
        return index;
    }

    /// <summary>The tokens kept from a hidden state [batch, 1 + patches, hidden].</summary>
    public static TorchSharp.torch.Tensor Select(TorchSharp.torch.Tensor hiddenState, ClipFeatureSelect select) =>
        select == ClipFeatureSelect.Patch ? hiddenState[.., 1.., ..] : hiddenState.alias();

    /// <summary>Number of tokens returned for a tower with <paramref name="numPatches"/> patches.</summary>
    public static int TokenCount(int numPatches, ClipFeatureSelect select) => select == ClipFeatureSelect.Patch ? numPatches : numPatches + 1;
}
