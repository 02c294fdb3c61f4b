using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Clip;

/// <summary>Everything transformers' CLIPVisionModel returns with output_hidden_states=True.</summary>
public sealed record ClipVisionOutput(Tensor LastHiddenState, Tensor PoolerOutput, IReadOnlyList<Tensor> HiddenStates);

/// <summary>
/// transformers' CLIPVisionModel: a <c>vision_model</c> (<see cref="ClipVisionTransformer"/>), so state-dict
/// keys are <c>vision_model.*</c> exactly as a CLIPVisionModel checkpoint stores them. Build it with
/// <see cref="Common.ModuleBuild"/> in the target device and dtype, then load weights with
/// <see cref="ClipVisionLoader"/>.
/// </summary>
public sealed class ClipVisionModel : nn.Module<Tensor, Tensor>
{
    private readonly ClipVisionTransformer vision_model;

    public ClipVisionConfig Config { get; }

    public ClipVisionModel(ClipVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipVisionModel))
    {
        Config = config;
        vision_model = new ClipVisionTransformer(config, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>last_hidden_state.</summary>
    public override Tensor forward(Tensor pixelValues)
    {
        CheckInput(pixelValues);
        return vision_model.forward(pixelValues);
    }

    /// <summary>All hidden states, the last one and the pooled class token. Tensors belong to the caller's scope.</summary>
    public ClipVisionOutput ForwardAll(Tensor pixelValues)
    {
        CheckInput(pixelValues);
        var states = vision_model.HiddenStates(pixelValues, vision_model.NumLayers);
        return new ClipVisionOutput(states[^1], vision_model.Pool(states[^1]), states);
    }

    /// <summary>hidden_states[0..upToLayer] (0 = embeddings after pre_layrnorm), running only those layers.</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor pixelValues, int upToLayer)
    {
        CheckInput(pixelValues);
        return vision_model.HiddenStates(pixelValues, upToLayer);
    }

    /// <summary>
    /// LLaVA's feature selection: hidden_states[select_layer] (negative counts from the end) with the class token
    /// dropped or kept, [batch, tokens, hidden]. Only the layers up to the selected one run: -2 skips the last.
    /// </summary>
    public Tensor Features(Tensor pixelValues, int selectLayer, ClipFeatureSelect select)
    {
        CheckInput(pixelValues);
        var index = ClipFeatureSelection.HiddenStateIndex(selectLayer, Config.NumLayers);
        using var scope = NewDisposeScope();
        var state = vision_model.HiddenState(pixelValues, index);
        return ClipFeatureSelection.Select(state, select).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-row feature selection for a batch whose rows may ask for different layers and token selections (a
    /// service batching every request): one pass up to the deepest requested layer, then row i takes
    /// hidden_states[selections[i].Layer][i] with its tokens. Each result is [tokens, hidden], contiguous, in the
    /// caller's dispose scope. Rows equal what <see cref="Features"/> gives for the same row alone, up to the
    /// rounding of batched kernels.
    /// </summary>
    public IReadOnlyList<Tensor> FeaturesPerRow(Tensor pixelValues, IReadOnlyList<(int SelectLayer, ClipFeatureSelect Select)> selections)
    {
        CheckInput(pixelValues);
        ArgumentNullException.ThrowIfNull(selections);
        if (selections.Count != pixelValues.shape[0])
            throw new ArgumentException($"{selections.Count} selections for a batch of {pixelValues.shape[0]} images", nameof(selections));
        var indices = selections.Select(s => ClipFeatureSelection.HiddenStateIndex(s.SelectLayer, Config.NumLayers)).ToArray();
        using var scope = NewDisposeScope();
        var states = vision_model.SelectedHiddenStates(pixelValues, indices.Distinct().ToArray());
        var rows = new Tensor[selections.Count];
        for (var i = 0; i < rows.Length; i++)
            rows[i] = ClipFeatureSelection.Select(states[indices[i]][TensorIndex.Slice(i, i + 1)], selections[i].Select)[0]
                .contiguous().MoveToOuterDisposeScope();
        return rows;
    }

    private void CheckInput(Tensor pixelValues)
    {
        long[] expected = [Config.NumChannels, Config.ImageSize, Config.ImageSize];
        if (pixelValues.ndim != 4 || !pixelValues.shape[1..].SequenceEqual(expected))
            throw new ArgumentException(
                $"pixel values must be [batch, {string.Join(", ", expected)}], not [{string.Join(", ", pixelValues.shape)}]", nameof(pixelValues));
    }
}
