using System.Runtime.CompilerServices;

namespace Mustafar.Tensors;

/// <summary>The wire format is little-endian and the codec reads it in place; refuse to run where that would be wrong.</summary>
internal static class Endianness
{
#pragma warning disable CA2255 // A module initializer is the one place that runs before any tensor is read.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Mustafar tensors are little-endian on the wire and read in place; big-endian hosts are not supported.");
    }
}
