using Microsoft.AspNetCore.Http;

namespace Mustafar.Gateway.Pipeline;

/// <summary>One question about one image, as every API (OpenAI chat, the form, gRPC Ask) hands it to
/// <see cref="VqaPipeline"/> in the gateway's own terms.</summary>
public sealed class VqaRequest
{
    /// <summary>The encoded image.</summary>
    public required ReadOnlyMemory<byte> Image { get; init; }

    /// <summary>Where the image was in the caller's request, for error messages ("image", "messages[0].content[1].image_url").</summary>
    public required string ImageField { get; init; }

    /// <summary>The conversation for the generator, oldest first, ending with the user's turn.</summary>
    public required IReadOnlyList<ConversationTurn> Conversation { get; init; }

    /// <summary>The user's question: the diffusion conditioning prompt in <see cref="DiffusionPromptMode.Question"/> mode.</summary>
    public required string Question { get; init; }

    /// <summary>The model, sampling, diffusion conditioning and cache choices.</summary>
    public required AnswerSettings Settings { get; init; }

    /// <summary>When the whole request must be done (UTC); propagated to every service call.</summary>
    public required DateTime Deadline { get; init; }

    /// <summary>The caller's request (load-balancing policies take it).</summary>
    public HttpContext? HttpContext { get; init; }

    /// <summary>Caller's id for the generator's logs.</summary>
    public string RequestId { get; init; } = "";

    /// <summary>When the request arrived (<see cref="TimeProvider.GetTimestamp"/>), the zero of every timing.</summary>
    public long ReceivedAt { get; init; } = TimeProvider.System.GetTimestamp();
}
