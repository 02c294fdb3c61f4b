namespace Mustafar.Tensors;

/// <summary>
/// How an <see cref="InvalidInputException"/> travels over gRPC: the status is INVALID_ARGUMENT with the message
/// "field: reason", and these trailers carry the field and, for <see cref="InputTooLargeException"/>, the kind. The
/// model services write them; the gateway reads them to name the caller's own field and to answer 413.
/// </summary>
public static class ErrorTrailers
{
    /// <summary>The offending request field, in the service's proto field names ("sampling.top_p", "image").</summary>
    public const string Field = "mustafar-field";

    /// <summary>Set to <see cref="TooLarge"/> when a size limit was exceeded.</summary>
    public const string Kind = "mustafar-error-kind";

    public const string TooLarge = "too-large";
}
