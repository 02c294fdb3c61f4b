using Mustafar.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Optimization;

/// <summary>torch.nn.utils.clip_grad_norm_: scales all gradients by max_norm / (total L2 norm + 1e-6) when the total
/// norm exceeds max_norm. Returns the norm before clipping (for the log).</summary>
public static class GradientClipping
{
    public static double ClipByTotalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var total = Math.Sqrt(grads.Sum(g => g.to(ScalarType.Float64).square().sum().item<double>()));
        if (maxNorm > 0 && total > maxNorm)
        {
            var factor = maxNorm / (total + 1e-6);
            foreach (var g in grads) g.copy_(g.Mul(factor));
        }
        return total;
    }
}
