using System.Security.Cryptography;
using System.Text;

namespace Mustafar.Gateway.TestServers;

/// <summary>The test servers' stand-in for neural networks: deterministic pseudo-random numbers seeded by a hash of
/// everything that should change them (image bytes, model, settings), so equal inputs give equal features and any
/// difference in the inputs shows up in the outputs.</summary>
public static class TestFeatureMath
{
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static float[] Values(int count, params object[] seedParts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", seedParts)));
        var state = BitConverter.ToUInt64(hash, 0) | 1;
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values[i] = (state >> 40) / (float)(1 << 24) * 2f - 1f;
        }
        return values;
    }
}
