using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Clip;

/// <summary>transformers' CLIPEncoder: a stack of <see cref="ClipEncoderLayer"/>s, shared by the vision tower
/// and the text encoder.</summary>
internal sealed class ClipEncoderLayerStack : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<ClipEncoderLayer> layers;

    public int NumLayers => layers.Count;

    public ClipEncoderLayerStack(ClipEncoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipEncoderLayerStack))
    {
        layers = new ModuleList<ClipEncoderLayer>();
        for (var i = 0; i < config.NumHiddenLayers; i++) layers.Add(new ClipEncoderLayer(config, device: device, dtype: dtype));
        RegisterComponents();
    }

    /// <summary>The last layer's output.</summary>
    public override Tensor forward(Tensor hidden, Tensor? mask) => HiddenStates(hidden, mask, layers.Count)[^1];

    /// <summary>transformers' <c>hidden_states</c>: element 0 is the input, element i the output of layer i-1.
    /// Runs only the first <paramref name="upToLayer"/> layers, so a caller that needs hidden_states[-2] skips
    /// the last layer's work. The returned tensors belong to the caller's dispose scope.</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor hidden, Tensor? mask, int upToLayer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(upToLayer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(upToLayer, layers.Count);
        var states = new List<Tensor>(upToLayer + 1) { hidden };
        for (var i = 0; i < upToLayer; i++) states.Add(layers[i].forward(states[^1], mask));
        return states;
    }

    /// <summary>hidden_states[i] for each i in <paramref name="layers"/>, in one pass that runs up to the deepest of
    /// them and frees every other state as soon as the next one exists (so a batch whose rows ask for different
    /// layers runs the tower once). The returned tensors belong to the caller's dispose scope.</summary>
    public IReadOnlyDictionary<int, Tensor> SelectedHiddenStates(Tensor hidden, Tensor? mask, IReadOnlyCollection<int> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("no layer asked for", nameof(layers));
        foreach (var layer in layers)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(layer, nameof(layers));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(layer, this.layers.Count, nameof(layers));
        }
        var kept = new Dictionary<int, Tensor>();
        var current = hidden;
        for (var i = 0; ; i++)
        {
            if (layers.Contains(i)) kept[i] = current;
            if (kept.Count == layers.Distinct().Count()) return kept;
            var next = this.layers[i].forward(current, mask);
            if (!ReferenceEquals(current, hidden) && !kept.ContainsValue(current)) current.Dispose();
            current = next;
        }
    }

    /// <summary>hidden_states[<paramref name="layer"/>] alone: runs the first <paramref name="layer"/> layers and
    /// frees each intermediate state as soon as the next one exists, so a deep tower holds two states at a time
    /// instead of all of them. Returns <paramref name="hidden"/> itself for layer 0.</summary>
    public Tensor HiddenState(Tensor hidden, Tensor? mask, int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layer, layers.Count);
        var current = hidden;
        for (var i = 0; i < layer; i++)
        {
            var next = layers[i].forward(current, mask);
            if (!ReferenceEquals(current, hidden)) current.Dispose();
            current = next;
        }
        return current;
    }
}
