using System.Reflection;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// Counts the pipeline's own calls in a destination's concurrent-request count, the number YARP's
/// PowerOfTwoChoices and LeastRequests policies compare. YARP counts only what its forwarder proxies and exposes the
/// count's atomic increment only internally (the public setter is a plain write, which would race with the
/// forwarder's increments and drift), so the increment is reached once by reflection. If a future YARP renames it,
/// counting is switched off and load balancing still works, just blind to the pipeline's load.
/// </summary>
internal static class DestinationLoad
{
    private static readonly PropertyInfo? CounterProperty =
        typeof(DestinationState).GetProperty("ConcurrencyCounter", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly MethodInfo? Increment = CounterProperty?.PropertyType.GetMethod("Increment", Type.EmptyTypes);
    private static readonly MethodInfo? Decrement = CounterProperty?.PropertyType.GetMethod("Decrement", Type.EmptyTypes);

    /// <summary>True when the pipeline's calls are counted (YARP's internals are as expected).</summary>
    public static bool Supported => Increment is not null && Decrement is not null;

    public static void Enter(DestinationState destination) => Invoke(destination, Increment);

    public static void Leave(DestinationState destination) => Invoke(destination, Decrement);

    private static void Invoke(DestinationState destination, MethodInfo? method)
    {
        if (method is null) return;
        method.Invoke(CounterProperty!.GetValue(destination), null);
    }
}
