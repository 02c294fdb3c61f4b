namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>OpenAI's error body: {"error": {"message", "type", "param", "code"}}; param and code may be null.</summary>
public sealed record ErrorResponse(ErrorDetail Error);

public sealed record ErrorDetail
{
    public required string Message { get; init; }
    public required string Type { get; init; }

    /// <summary>The request field at fault, named as the client sent it.</summary>
    public string? Param { get; init; }
    public string? Code { get; init; }
}
