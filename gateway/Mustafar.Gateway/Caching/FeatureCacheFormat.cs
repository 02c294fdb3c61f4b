using Google.Protobuf;
using Mustafar.Tensors.V1;

namespace Mustafar.Gateway.Caching;

/// <summary>
/// A cached feature's bytes: the magic "MFC", one format-version byte, then the serialized <see cref="Tensor"/>
/// proto. A value of another version (an older or newer gateway sharing the Redis) reads as a miss, never as
/// wrong features; the version is also part of every key, so versions do not even collide.
/// </summary>
public static class FeatureCacheFormat
{
    public const byte Version = 1;
    private static ReadOnlySpan<byte> Magic => "MFC"u8;
    private const int HeaderLength = 4;

    public static byte[] Encode(Tensor tensor)
    {
        var bytes = new byte[HeaderLength + tensor.CalculateSize()];
        Magic.CopyTo(bytes);
        bytes[3] = Version;
        tensor.WriteTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    /// <summary>The tensor, or null when the bytes are not a value of this format version.</summary>
    public static Tensor? TryDecode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength || !bytes[..3].SequenceEqual(Magic) || bytes[3] != Version) return null;
        try
        {
            return Tensor.Parser.ParseFrom(bytes[HeaderLength..]);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
