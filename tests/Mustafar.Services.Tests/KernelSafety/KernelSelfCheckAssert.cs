using Mustafar.Contracts.Serving.V1;

namespace Mustafar.Services.Tests.KernelSafety;

/// <summary>What every host's GetModelInfo must say about its start-up kernel self-check.</summary>
internal static class KernelSelfCheckAssert
{
    public static void PassedOn(KernelSelfCheck? check, string device, string dtype, params string[] ops)
    {
        Assert.NotNull(check);
        Assert.True(check.Passed);
        Assert.True(check.Seconds > 0);
        Assert.Equal(ops.Order(), check.Checks.Select(c => c.Op).Distinct().Order());
        Assert.All(check.Checks, c =>
        {
            Assert.Equal((device, dtype, KernelCheckOutcome.Passed), (c.Device, c.Dtype, c.Outcome));
            Assert.True(c.MaxError <= c.Tolerance, c.Shape);
        });
    }
}
