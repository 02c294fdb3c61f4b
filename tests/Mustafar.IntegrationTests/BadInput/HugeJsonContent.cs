using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>A JSON body of a given size with a declared Content-Length, written as it is sent (a 100 MB request
/// without 100 MB in memory): <c>{"messages": "aaaa...a"}</c>.</summary>
public sealed class HugeJsonContent : HttpContent
{
    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("{\"messages\": \"");
    private static readonly byte[] Suffix = Encoding.ASCII.GetBytes("\"}");
    private readonly long _length;

    public HugeJsonContent(long length)
    {
        _length = length;
        Headers.ContentType = new MediaTypeHeaderValue("application/json");
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(Prefix);
        var filler = new byte[64 * 1024];
        Array.Fill(filler, (byte)'a');
        for (var left = _length - Prefix.Length - Suffix.Length; left > 0; left -= filler.Length)
            await stream.WriteAsync(filler.AsMemory(0, (int)Math.Min(left, filler.Length)));
        await stream.WriteAsync(Suffix);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
