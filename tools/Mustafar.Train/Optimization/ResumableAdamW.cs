using Mustafar.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Optimization;

/// <summary>
/// AdamW (Loshchilov and Hutter; torch.optim.AdamW's update, without amsgrad): decoupled weight decay
/// p -= lr * wd * p, then m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr * m_hat / (sqrt(v_hat) + eps).
/// Written out here rather than taken from TorchSharp so that its whole state (the moments and the step count) is
/// ours to save and restore: a resumed run continues with exactly the moments a straight run has. Moments are
/// float32 whatever the parameters' dtype. Weight decay skips biases and norm weights, as transformers' Trainer does.
/// </summary>
public sealed class ResumableAdamW : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;
    private readonly Dictionary<string, (Tensor M, Tensor V)> _moments = new(StringComparer.Ordinal);

    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    public double WeightDecay { get; init; }

    /// <summary>Optimizer steps taken so far.</summary>
    public int Steps { get; private set; }

    public ResumableAdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        _parameters = parameters;
        foreach (var (name, p) in parameters)
            _moments[name] = (zeros(p.shape, ScalarType.Float32, p.device).DetachFromDisposeScope(), zeros(p.shape, ScalarType.Float32, p.device).DetachFromDisposeScope());
    }

    public static bool Decays(string name) => !name.EndsWith(".bias", StringComparison.Ordinal) && !name.Contains("norm", StringComparison.Ordinal);

    public void Step(double learningRate)
    {
        Steps++;
        var correction1 = 1 - Math.Pow(Beta1, Steps);
        var correction2 = 1 - Math.Pow(Beta2, Steps);
        using var noGrad = no_grad();
        foreach (var (name, p) in _parameters)
        {
            using var scope = NewDisposeScope();
            var grad = p.grad;
            if (grad is null) continue;
            var g = grad.to(ScalarType.Float32);
            var (m, v) = _moments[name];
            m.copy_(m.Mul(Beta1).Add(g.Mul(1 - Beta1)));
            v.copy_(v.Mul(Beta2).Add(g.mul(g).Mul(1 - Beta2)));
            var update = m.Div(correction1).div(v.Div(correction2).sqrt().Add(Epsilon)).Mul(learningRate);
            var value = p.to(ScalarType.Float32);
            if (WeightDecay > 0 && Decays(name)) value = value.Mul(1 - learningRate * WeightDecay);
            p.copy_(value.sub(update));
        }
    }

    /// <summary>The moments by "{name}.exp_avg" / "{name}.exp_avg_sq", for a training checkpoint.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> State()
    {
        foreach (var (name, (m, v)) in _moments)
        {
            yield return new(name + ".exp_avg", m);
            yield return new(name + ".exp_avg_sq", v);
        }
    }

    public void Restore(int steps, Func<string, Tensor> read)
    {
        using var noGrad = no_grad();
        foreach (var (name, (m, v)) in _moments)
        {
            using var savedM = read(name + ".exp_avg");
            using var savedV = read(name + ".exp_avg_sq");
            m.copy_(savedM);
            v.copy_(savedV);
        }
        Steps = steps;
    }

    public void Dispose()
    {
        foreach (var (m, v) in _moments.Values)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}
