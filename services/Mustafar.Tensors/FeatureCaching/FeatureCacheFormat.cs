using Google.Protobuf;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors.FeatureCaching;

/// <summary>A cached feature: the tensor, and what the encoder said about how it was made.</summary>
/// <param name="PromptTruncated">The diffusion prompt was longer than the text encoder's context and only its start
/// conditioned the feature (answers say so on a cache hit too).</param>
public sealed record FeatureValue(Tensor Tensor, bool PromptTruncated = false);

/// <summary>
/// A cached feature's bytes: the magic "MFC", one format-version byte, one flags byte (bit 0: the prompt was
/// truncated), then the serialized <see cref="Tensor"/> proto. A value of another version (an older or newer gateway
/// sharing the Redis) reads as a miss, never as wrong features; the version is also part of every key, so versions
/// do not even collide.
/// </summary>
public static class FeatureCacheFormat
{
    public const byte Version = 2;
    private static ReadOnlySpan<byte> Magic => "MFC"u8;
    private const int HeaderLength = 5;
    private const byte PromptTruncatedFlag = 1;

    public static byte[] Encode(FeatureValue value)
    {
        var bytes = new byte[HeaderLength + value.Tensor.CalculateSize()];
        Magic.CopyTo(bytes);
        bytes[3] = Version;
        bytes[4] = value.PromptTruncated ? PromptTruncatedFlag : (byte)0;
        value.Tensor.WriteTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    /// <summary>The value, or null when the bytes are not a value of this format version.</summary>
    public static FeatureValue? TryDecode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength || !bytes[..3].SequenceEqual(Magic) || bytes[3] != Version || (bytes[4] & ~PromptTruncatedFlag) != 0)
            return null;
        try
        {
            return new FeatureValue(Tensor.Parser.ParseFrom(bytes[HeaderLength..]), (bytes[4] & PromptTruncatedFlag) != 0);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
