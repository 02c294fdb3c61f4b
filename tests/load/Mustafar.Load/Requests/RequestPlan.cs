using Mustafar.Load.Scenario;

namespace Mustafar.Load.Requests;

/// <summary>One request to send: its number in the run, kind and image (a repeated one or a never-seen one).</summary>
public sealed record RequestPlan(long Index, RequestKind Kind, byte[] Image, bool RepeatedImage, string Question);
