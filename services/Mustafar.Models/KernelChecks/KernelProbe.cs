using static TorchSharp.torch;

namespace Mustafar.Models.KernelChecks;

/// <summary>One kernel shape to check: the op as the model computes it, the same op in float64 on the CPU, and the
/// other routes the op could take. Each function returns a float64 CPU tensor of the same shape.</summary>
/// <param name="Op">The op's name in reports.</param>
/// <param name="Shape">The probed shape, as the op sees it.</param>
/// <param name="Actual">The op on the model's device and dtype, by the route the model takes now.</param>
/// <param name="Reference">The op in float64 on the CPU, from the same (rounded) inputs and weights.</param>
/// <param name="Alternatives">Other routes: each is measured too; one whose <see cref="KernelRoute.Enable"/> is set
/// can replace a wrong <paramref name="Actual"/>.</param>
/// <param name="ReportAlternatives">Measure the alternatives even when <paramref name="Actual"/> is right, to report
/// whether a route the model avoids is wrong on this machine (the default workaround's shapes); otherwise they are
/// measured only to replace a wrong route, which keeps the check short.</param>
internal sealed record KernelProbe(string Op, string Shape, Func<Tensor> Actual, Func<Tensor> Reference, IReadOnlyList<KernelRoute> Alternatives,
    bool ReportAlternatives = false);

/// <summary>Another way to compute a probe's op.</summary>
/// <param name="Name">"direct", "channels-last".</param>
/// <param name="Compute">The op by this route (float64 CPU result).</param>
/// <param name="Enable">Makes the model take this route from now on; null when it cannot be chosen.</param>
internal sealed record KernelRoute(string Name, Func<Tensor> Compute, Action? Enable);
