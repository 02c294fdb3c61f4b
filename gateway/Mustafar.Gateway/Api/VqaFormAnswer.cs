using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>The answer of POST /v1/vqa: the text, OpenAI's finish reason and usage, and Mustafar's metadata.</summary>
public sealed record VqaFormAnswer
{
    public required string Answer { get; init; }
    public required string Model { get; init; }
    public required string FinishReason { get; init; }
    public required Usage Usage { get; init; }
    public required MustafarMetadata Mustafar { get; init; }
}
