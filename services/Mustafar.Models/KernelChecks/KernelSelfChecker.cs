using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.KernelChecks;

/// <summary>
/// A known-answer check of the kernels a loaded model uses, at its own device, dtype and shapes, against float64 on
/// the CPU. Model services run it before they report ready. Why: libtorch's kernels can be wrong on a particular
/// CPU (Mustafar.Torch.ConvolutionRouting says which one we know of), and a wrong kernel gives plausible-looking
/// features, never an error. A shape whose route is wrong switches to another route that is right, where the op has
/// one (convolutions); otherwise the report fails, naming the op, shape, device and error.
/// </summary>
public static class KernelSelfChecker
{
    /// <summary>Checks every kernel shape of <paramref name="modules"/> (the model's module trees, on
    /// <paramref name="device"/> in <paramref name="dtype"/>). Runs under no_grad in its own dispose scope.</summary>
    public static KernelCheckReport Run(IEnumerable<nn.Module> modules, Device device, ScalarType dtype, long seed = 20250707)
    {
        var started = Stopwatch.GetTimestamp();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        return Run(KernelProbes.For(modules, device, dtype, generator), device, dtype, started);
    }

    /// <summary>Checks the given probes (tests give probes with known faults).</summary>
    internal static KernelCheckReport Run(IEnumerable<KernelProbe> probes, Device device, ScalarType dtype, long started)
    {
        var tolerance = ToleranceFor(dtype);
        var deviceName = device.ToString();
        var dtypeName = Mustafar.Tensors.DTypes.Name(Mustafar.Torch.TorchDTypes.ToDType(dtype));
        var results = probes.Select(probe =>
        {
            var began = Stopwatch.GetTimestamp();
            return Check(probe, tolerance, deviceName, dtypeName) with { Elapsed = Stopwatch.GetElapsedTime(began) };
        }).ToList();
        return new KernelCheckReport(results, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The bound on max |actual - float64| / max(1, max |float64|): a few hundred times the dtype's
    /// rounding, far below the errors of a wrong kernel (order 1).</summary>
    public static double ToleranceFor(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => 1e-2,
        ScalarType.BFloat16 => 3e-2,
        ScalarType.Float64 => 1e-9,
        _ => 1e-3,
    };

    private static KernelCheckResult Check(KernelProbe probe, double tolerance, string device, string dtype)
    {
        using var scope = NewDisposeScope();
        var reference = probe.Reference();
        if (!reference.isfinite().all().item<bool>())
            return new KernelCheckResult(probe.Op, probe.Shape, device, dtype, double.NaN, tolerance, KernelCheckVerdict.Failed,
                "the float64 result is not finite either: the checkpoint's weights hold NaN or Inf");
        var error = Error(probe.Actual(), reference);
        var alternatives = Within(error, tolerance) && !probe.ReportAlternatives
            ? []
            : probe.Alternatives.Select(route => (Route: route, Error: Error(route.Compute(), reference))).ToList();
        var wrongAlternatives = alternatives.Where(a => !Within(a.Error, tolerance))
            .Select(a => $"the {a.Route.Name} route is wrong here (max error {a.Error:E2}) and is not taken").ToList();
        if (Within(error, tolerance))
            return new KernelCheckResult(probe.Op, probe.Shape, device, dtype, error, tolerance, KernelCheckVerdict.Passed,
                wrongAlternatives.Count == 0 ? null : string.Join("; ", wrongAlternatives));

        var replacement = alternatives.FirstOrDefault(a => a.Route.Enable is not null && Within(a.Error, tolerance));
        if (replacement.Route is { Enable: { } enable })
        {
            enable();
            return new KernelCheckResult(probe.Op, probe.Shape, device, dtype, replacement.Error, tolerance, KernelCheckVerdict.WorkaroundEnabled,
                $"the route the model took is WRONG on this machine (max error {Describe(error)}); the {replacement.Route.Name} route is right and is taken from now on");
        }
        return new KernelCheckResult(probe.Op, probe.Shape, device, dtype, error, tolerance, KernelCheckVerdict.Failed,
            $"WRONG on this machine (max error {Describe(error)}) and no other route is right" +
            (alternatives.Count == 0 ? "" : $" ({string.Join(", ", alternatives.Select(a => $"{a.Route.Name}: {Describe(a.Error)}"))})"));
    }

    private static bool Within(double error, double tolerance) => error <= tolerance; // NaN is never within

    private static string Describe(double error) => double.IsNaN(error) ? "NaN in the result" : error.ToString("E2");

    private static double Error(Tensor actual, Tensor reference)
    {
        if (actual.isnan().any().item<bool>()) return double.NaN;
        var scale = Math.Max(1.0, reference.abs().max().item<double>());
        return (actual - reference).abs().max().item<double>() / scale;
    }
}
