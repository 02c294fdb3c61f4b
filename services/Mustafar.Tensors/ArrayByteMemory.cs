using System.Buffers;
using System.Runtime.InteropServices;

namespace Mustafar.Tensors;

/// <summary>Exposes a <typeparamref name="T"/>[] as <see cref="Memory{T}"/> of bytes without copying it, so that
/// an array of features can become a protobuf <c>bytes</c> field through <c>UnsafeByteOperations.UnsafeWrap</c>.</summary>
internal sealed class ArrayByteMemory<T>(T[] array) : MemoryManager<byte> where T : unmanaged
{
    private GCHandle _pin;

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan());

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        if (!_pin.IsAllocated) _pin = GCHandle.Alloc(array, GCHandleType.Pinned);
        var start = (byte*)_pin.AddrOfPinnedObject() + elementIndex;
        return new MemoryHandle(start, default, this);
    }

    public override void Unpin()
    {
        // Pinning is only used for short native reads; the array stays pinned until disposal to keep this simple
        // and safe when several readers pin it at once.
    }

    protected override void Dispose(bool disposing)
    {
        if (_pin.IsAllocated) _pin.Free();
    }
}
