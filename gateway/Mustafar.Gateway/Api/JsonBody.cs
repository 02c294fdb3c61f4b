using Microsoft.AspNetCore.Http;

namespace Mustafar.Gateway.Api;

/// <summary>
/// A JSON request body, read whole before anything is built from it, so that it can be checked first: its size (a
/// declared length over the limit is refused before a byte is read; an undeclared one is refused when the read
/// passes the limit), its encoding (<see cref="Utf8Body"/>) and its counts (<see cref="ChatBodyCounts"/>). The bytes
/// are one array of exactly the declared size, which the request drops once it has parsed them: no pooled buffer
/// outlives the request (a pool would keep the largest bodies' arrays for good), and nothing is copied to grow a
/// buffer unless the client did not say how long its body is.
/// </summary>
public static class JsonBody
{
    /// <summary>What a body of unknown length starts with; doubled as it grows, up to the limit.</summary>
    private const int InitialUndeclaredBytes = 64 * 1024;

    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > maxBytes) throw TooLarge($"the request body has {declared} bytes; the largest accepted is {maxBytes}");
        var buffer = GC.AllocateUninitializedArray<byte>((int)(declared ?? Math.Min(maxBytes, InitialUndeclaredBytes)));
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (declared is not null) break; // Kestrel ends a body at its declared length
                if (buffer.Length >= maxBytes) throw TooLarge($"the request body is larger than the {maxBytes} bytes accepted");
                Array.Resize(ref buffer, (int)Math.Min(maxBytes, buffer.Length * 2L));
            }
            var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            length += read;
        }
        return buffer.AsMemory(0, length);
    }

    private static GatewayException TooLarge(string message) => new(ErrorKind.TooLarge, message, null, "request_too_large");
}
