namespace Mustafar.Serving;

/// <summary>Where a model host is in its life. Only <see cref="Ready"/> accepts work.</summary>
public enum ServingState
{
    /// <summary>Loading the checkpoint and warming up; health is NOT_SERVING.</summary>
    Loading,

    /// <summary>Loaded and warmed up; health is SERVING.</summary>
    Ready,

    /// <summary>Shutting down: new calls are refused, in-flight ones finish; health is NOT_SERVING.</summary>
    Draining,

    /// <summary>Shut down.</summary>
    Stopped,

    /// <summary>The model failed to load; the host stops.</summary>
    Failed,
}
