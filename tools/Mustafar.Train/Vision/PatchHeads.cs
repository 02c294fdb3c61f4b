using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Vision;

/// <summary>One linear classifier per <see cref="PatchTargets"/> head over each patch token: the pre-training
/// objective's readout, dropped after pre-training. Initialised as transformers initialises a Linear (normal(0, 0.02),
/// zero bias), from the run's seed.</summary>
internal sealed class PatchHeads : IDisposable
{
    private readonly List<(string Name, Linear Layer)> _heads = [];

    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    public PatchHeads(int hidden, int grid, long seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        using (no_grad())
            foreach (var (name, classes) in PatchTargets.HeadShapes(grid))
            {
                var layer = nn.Linear(hidden, classes);
                using (var scope = NewDisposeScope())
                {
                    layer.weight!.copy_(randn([classes, hidden], ScalarType.Float32, CPU, generator: generator).Mul(0.02));
                    layer.bias!.zero_();
                }
                _heads.Add((name, layer));
            }
        Parameters = [.. _heads.SelectMany(h => h.Layer.named_parameters().Select(p => ($"head.{h.Name}.{p.name}", p.parameter)))];
    }

    /// <summary>The summed mean cross-entropy of every head over every patch of the batch ([images, tokens, hidden]).</summary>
    public Tensor Loss(Tensor features, IReadOnlyList<PatchTargets> targets)
    {
        Tensor? total = null;
        for (var h = 0; h < _heads.Count; h++)
        {
            var logits = _heads[h].Layer.call(features);
            var wanted = tensor(targets.SelectMany(t => t.Heads[h]).ToArray(), ScalarType.Int64);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), wanted);
            total = total is null ? loss : total.Add(loss);
        }
        return total!;
    }

    /// <summary>Each head's predicted class per patch: [heads][images, tokens].</summary>
    public long[][,] Predict(Tensor features)
    {
        var (images, tokens) = ((int)features.shape[0], (int)features.shape[1]);
        var result = new long[_heads.Count][,];
        for (var h = 0; h < _heads.Count; h++)
        {
            var flat = _heads[h].Layer.call(features).argmax(-1).contiguous().data<long>().ToArray();
            result[h] = new long[images, tokens];
            for (var i = 0; i < images; i++)
                for (var t = 0; t < tokens; t++) result[h][i, t] = flat[(i * tokens) + t];
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var (_, layer) in _heads) layer.Dispose();
    }
}
