namespace Mustafar.Tensors;

/// <summary>
/// Bad input from a caller: the request can never succeed as sent. Services map it to INVALID_ARGUMENT and the
/// gateway to HTTP 400; <see cref="Field"/> names the offending field (for example "features[0].tensor.shape")
/// so that callers know what to fix.
/// </summary>
public class InvalidInputException(string field, string message) : Exception($"{field}: {message}")
{
    /// <summary>Path of the offending field in the request, in proto field names.</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong, without the field prefix.</summary>
    public string Reason { get; } = message;
}

/// <summary>
/// Input that is well formed but exceeds a configured size limit (pixels, bytes, elements). Services map it to
/// INVALID_ARGUMENT with the limit in the message; the gateway maps it to HTTP 413.
/// </summary>
public sealed class InputTooLargeException(string field, string message) : InvalidInputException(field, message);
