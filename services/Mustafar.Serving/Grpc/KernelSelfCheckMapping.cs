using Mustafar.Models.KernelChecks;
using ProtoCheck = Mustafar.Contracts.Serving.V1.KernelCheck;
using ProtoOutcome = Mustafar.Contracts.Serving.V1.KernelCheckOutcome;
using ProtoSelfCheck = Mustafar.Contracts.Serving.V1.KernelSelfCheck;

namespace Mustafar.Serving;

/// <summary>The kernel self-check's report on the wire, as every host's GetModelInfo carries it.</summary>
public static class KernelSelfCheckMapping
{
    public static ProtoSelfCheck ToProto(this KernelCheckReport report)
    {
        var message = new ProtoSelfCheck { Passed = report.Passed, Seconds = report.Elapsed.TotalSeconds };
        message.Checks.Add(report.Results.Select(r => new ProtoCheck
        {
            Op = r.Op,
            Shape = r.Shape,
            Device = r.Device,
            Dtype = r.DType,
            MaxError = r.MaxError,
            Tolerance = r.Tolerance,
            Outcome = r.Outcome switch
            {
                KernelCheckOutcome.Passed => ProtoOutcome.Passed,
                KernelCheckOutcome.WorkaroundEnabled => ProtoOutcome.WorkaroundEnabled,
                _ => ProtoOutcome.Failed,
            },
            Detail = r.Detail ?? "",
        }));
        return message;
    }
}
