namespace Mustafar.Models.KernelChecks;

/// <summary>What the self-check concluded about one kernel shape.</summary>
public enum KernelCheckVerdict
{
    /// <summary>The route the model takes computes the op correctly.</summary>
    Passed,

    /// <summary>The route the model would have taken was wrong; another route is right and is now used.</summary>
    WorkaroundEnabled,

    /// <summary>Wrong, with no route that is right: the model must not serve.</summary>
    Failed,
}

/// <summary>The outcomes' names in metrics and on the wire.</summary>
public static class KernelCheckVerdicts
{
    public static string Name(KernelCheckVerdict outcome) => outcome switch
    {
        KernelCheckVerdict.Passed => "passed",
        KernelCheckVerdict.WorkaroundEnabled => "workaround_enabled",
        _ => "failed",
    };
}

/// <summary>One kernel shape checked against float64.</summary>
/// <param name="Op">"conv2d", "linear", "sdpa", "group_norm", "layer_norm", "rms_norm".</param>
/// <param name="Shape">The probed shape, as the op sees it ("in=24 out=16 kernel=3x3 stride=1 input=[2,24,8,8]").</param>
/// <param name="Device">"cpu", "cuda:0".</param>
/// <param name="DType">The model's compute dtype ("float32").</param>
/// <param name="MaxError">The largest |actual - float64| of the route the model now takes, relative to
/// max(1, max |float64|); NaN when the result had NaN.</param>
/// <param name="Tolerance">The bound <paramref name="MaxError"/> is held to for this dtype.</param>
/// <param name="Detail">What happened beyond a pass: the route that failed, by how much, and what was chosen.</param>
public sealed record KernelCheckResult(string Op, string Shape, string Device, string DType, double MaxError, double Tolerance,
    KernelCheckVerdict Outcome, string? Detail = null)
{
    /// <summary>How long this shape's check took (every route and the float64 reference).</summary>
    public TimeSpan Elapsed { get; init; }

    public override string ToString() =>
        $"{Op} {Shape} on {Device} {DType}: {Outcome} (max error {MaxError:E2}, tolerance {Tolerance:E0}){(Detail is null ? "" : $"; {Detail}")}";
}

/// <summary>Every kernel shape a loaded model uses, checked against float64 at start-up.</summary>
public sealed record KernelCheckReport(IReadOnlyList<KernelCheckResult> Results, TimeSpan Elapsed)
{
    /// <summary>True unless a shape is wrong with no workaround.</summary>
    public bool Passed => Results.All(r => r.Outcome != KernelCheckVerdict.Failed);

    public int Count(KernelCheckVerdict outcome) => Results.Count(r => r.Outcome == outcome);

    /// <summary>One line: counts per outcome and the time taken.</summary>
    public string Summary =>
        $"kernel self-check: {Results.Count} shapes, {Count(KernelCheckVerdict.Passed)} passed, " +
        $"{Count(KernelCheckVerdict.WorkaroundEnabled)} routed around a wrong kernel, {Count(KernelCheckVerdict.Failed)} failed, " +
        $"in {Elapsed.TotalMilliseconds:F0} ms";
}
