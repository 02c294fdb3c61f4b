using Mustafar.Models.KernelChecks;
using Mustafar.Contracts.Serving.V1;

namespace Mustafar.Serving;

/// <summary>The kernel self-check's report on the wire, as every host's GetModelInfo carries it.</summary>
public static class KernelSelfCheckMapping
{
    public static KernelSelfCheck ToProto(this KernelCheckReport report)
    {
        var message = new KernelSelfCheck { Passed = report.Passed, Seconds = report.Elapsed.TotalSeconds };
        message.Checks.Add(report.Results.Select(r => new KernelCheck
        {
            Op = r.Op,
            Shape = r.Shape,
            Device = r.Device,
            Dtype = r.DType,
            MaxError = r.MaxError,
            Tolerance = r.Tolerance,
            Outcome = r.Outcome switch
            {
                KernelCheckVerdict.Passed => KernelCheckOutcome.Passed,
                KernelCheckVerdict.WorkaroundEnabled => KernelCheckOutcome.WorkaroundEnabled,
                _ => KernelCheckOutcome.Failed,
            },
            Detail = r.Detail ?? "",
        }));
        return message;
    }
}
