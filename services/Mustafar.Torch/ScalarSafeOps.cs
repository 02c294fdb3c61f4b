using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Torch;

/// <summary>
/// The TorchSharp operations that take a <see cref="Scalar"/>, in a form that keeps the Scalar alive until libtorch
/// has returned. Model code uses these instead of <c>a + b</c>, <c>t * 0.5</c>, <c>t.add(x)</c>, <c>pow(2)</c>,
/// <c>masked_fill(m, v)</c>, <c>full(...)</c>, <c>arange(...)</c> and the like.
/// <para>Why: in TorchSharp 0.107 a Scalar is a native c10::Scalar owned by a .NET object with a finalizer and no
/// dispose-scope tracking. An implicit conversion (<c>t * 0.5</c>, and <c>add(t)</c>, which is <c>add(t, 1)</c>)
/// makes a temporary Scalar that is unreachable as soon as its handle has been read, so a garbage collection on any
/// other thread (gRPC and Kestrel allocate all the time) may run its finalizer and free the c10::Scalar while the
/// native op still reads it: a use-after-free that surfaced under load as "Expected false to be true ... toFloat at
/// c10/core/Scalar.h" from THSTensor_add. Here every Scalar is either a static field (the alpha of additions) or
/// created with <c>using</c>, so it is reachable, and freed only by Dispose, after the call.</para>
/// <para>Each method calls the very TorchSharp overload the operator would, with a Scalar of the same kind (an
/// integer stays an integer, so int64 tensors stay int64): results are bit for bit the same.</para>
/// </summary>
public static class ScalarSafeOps
{
    /// <summary>The alpha of every addition. Static, so never finalized while libtorch reads it.</summary>
    private static readonly Scalar One = 1.ToScalar();

    /// <summary><c>input + other</c> (torch.add with alpha 1).</summary>
    public static Tensor Add(this Tensor input, Tensor other) => input.add(other, One);

    /// <summary><c>input + value</c>.</summary>
    public static Tensor Add(this Tensor input, long value)
    {
        using var scalar = value.ToScalar();
        return input.add(scalar, One);
    }

    /// <summary><c>input + value</c>.</summary>
    public static Tensor Add(this Tensor input, double value)
    {
        using var scalar = value.ToScalar();
        return input.add(scalar, One);
    }

    /// <summary><c>input - value</c>.</summary>
    public static Tensor Sub(this Tensor input, long value)
    {
        using var scalar = value.ToScalar();
        return input.sub(scalar);
    }

    /// <summary><c>input - value</c>.</summary>
    public static Tensor Sub(this Tensor input, double value)
    {
        using var scalar = value.ToScalar();
        return input.sub(scalar);
    }

    /// <summary><c>value - input</c> (torch.rsub), computed as TorchSharp's operator does: -input + value.</summary>
    public static Tensor RSub(this Tensor input, double value)
    {
        using var scope = NewDisposeScope();
        using var scalar = value.ToScalar();
        return input.neg().add(scalar, One).MoveToOuterDisposeScope();
    }

    /// <summary><c>input * value</c>.</summary>
    public static Tensor Mul(this Tensor input, double value)
    {
        using var scalar = value.ToScalar();
        return input.mul(scalar);
    }

    /// <summary><c>input / value</c> (true division).</summary>
    public static Tensor Div(this Tensor input, double value)
    {
        using var scalar = value.ToScalar();
        return input.div(scalar);
    }

    /// <summary><c>input ** exponent</c> with an integer exponent (as Python's <c>x.pow(2)</c>).</summary>
    public static Tensor Pow(this Tensor input, long exponent)
    {
        using var scalar = exponent.ToScalar();
        return input.pow(scalar);
    }

    /// <summary><c>input ** exponent</c>.</summary>
    public static Tensor Pow(this Tensor input, double exponent)
    {
        using var scalar = exponent.ToScalar();
        return input.pow(scalar);
    }

    /// <summary><c>input.clamp(min, max)</c>.</summary>
    public static Tensor Clamp(this Tensor input, double min, double max)
    {
        using var low = min.ToScalar();
        using var high = max.ToScalar();
        return input.clamp(low, high);
    }

    /// <summary><c>input.clamp_min(min)</c>.</summary>
    public static Tensor ClampMin(this Tensor input, double min)
    {
        using var low = min.ToScalar();
        return input.clamp_min(low);
    }

    /// <summary><c>input.masked_fill(mask, value)</c>.</summary>
    public static Tensor MaskedFill(this Tensor input, Tensor mask, long value)
    {
        using var scalar = value.ToScalar();
        return input.masked_fill(mask, scalar);
    }

    /// <summary><c>input == value</c>, element-wise.</summary>
    public static Tensor Eq(this Tensor input, long value)
    {
        using var scalar = value.ToScalar();
        return input.eq(scalar);
    }

    /// <summary><c>input &lt; value</c>, element-wise.</summary>
    public static Tensor Lt(this Tensor input, long value)
    {
        using var scalar = value.ToScalar();
        return input.lt(scalar);
    }

    /// <summary><c>input &lt; value</c>, element-wise.</summary>
    public static Tensor Lt(this Tensor input, double value)
    {
        using var scalar = value.ToScalar();
        return input.lt(scalar);
    }

    /// <summary><c>input &gt;= value</c>, element-wise.</summary>
    public static Tensor Ge(this Tensor input, long value)
    {
        using var scalar = value.ToScalar();
        return input.ge(scalar);
    }

    /// <summary>torch.full with an integer fill value.</summary>
    public static Tensor Full(long[] size, long value, ScalarType dtype, Device? device = null)
    {
        using var scalar = value.ToScalar();
        return full(size, scalar, dtype, device);
    }

    /// <summary>torch.full with a floating-point fill value.</summary>
    public static Tensor Full(long[] size, double value, ScalarType dtype, Device? device = null)
    {
        using var scalar = value.ToScalar();
        return full(size, scalar, dtype, device);
    }

    /// <summary>torch.arange(end): 0, 1, ..., end - 1 (int64 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor Arange(long end, ScalarType? dtype = null, Device? device = null) => Arange(0, end, 1, dtype, device);

    /// <summary>torch.arange(start, end, step) over integers (int64 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor Arange(long start, long end, long step = 1, ScalarType? dtype = null, Device? device = null)
    {
        using var first = start.ToScalar();
        using var stop = end.ToScalar();
        using var stride = step.ToScalar();
        return arange(first, stop, stride, dtype, device);
    }
}
