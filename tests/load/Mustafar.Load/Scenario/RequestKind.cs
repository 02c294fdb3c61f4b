namespace Mustafar.Load.Scenario;

/// <summary>What one request does.</summary>
public enum RequestKind
{
    /// <summary>POST /v1/chat/completions, one JSON answer.</summary>
    Chat,

    /// <summary>POST /v1/chat/completions with "stream": true (SSE).</summary>
    ChatStream,

    /// <summary>gRPC VisualQuestionAnswering.Ask on the gateway (a server stream).</summary>
    Ask,

    /// <summary>gRPC ClipEncoder.Encode through the gateway's YARP route to the CLIP pool.</summary>
    Clip,

    /// <summary>gRPC DiffusionEncoder.Encode, on a diffusion encoder directly or through the gateway's route.</summary>
    Diffusion,
}
