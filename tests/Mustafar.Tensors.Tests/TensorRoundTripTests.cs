using Google.Protobuf;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors.Tests;

public class TensorRoundTripTests
{
    public static TheoryData<DType> AllDTypes() => new(Enum.GetValues<DType>().Where(DTypes.IsValid));

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void Every_dtype_survives_serialization_byte_for_byte(DType dtype)
    {
        var shape = new long[] { 2, 3, 5 };
        var bytes = new byte[30 * DTypes.ElementSize(dtype)];
        new Random(7).NextBytes(bytes);
        if (dtype == DType.Bool) for (var i = 0; i < bytes.Length; i++) bytes[i] &= 1;

        var parsed = Tensor.Parser.ParseFrom(TensorCodec.Wrap(dtype, shape, bytes).ToByteArray());
        var view = TensorView.Open(parsed, "t");

        Assert.Equal(dtype, view.DType);
        Assert.Equal(shape, view.Shape);
        Assert.Equal(30, view.ElementCount);
        Assert.Equal(bytes, view.Data.ToArray());
    }

    [Fact]
    public void Typed_arrays_round_trip_through_the_wire()
    {
        var floats = new[] { 1.5f, -2.25f, float.MaxValue, float.Epsilon, 0f, -0f };
        var longs = new[] { long.MinValue, -1L, 0L, long.MaxValue };
        var halves = new[] { (Half)1.5, Half.MinValue, Half.NaN };
        var bools = new[] { true, false, true };

        Assert.Equal(floats, Reparse(TensorCodec.FromArray(floats, 2, 3)).Span<float>().ToArray());
        Assert.Equal(longs, Reparse(TensorCodec.FromArray(longs, 4)).Span<long>().ToArray());
        Assert.Equal(halves, Reparse(TensorCodec.FromArray(halves, 3)).Span<Half>().ToArray());
        Assert.Equal(bools, Reparse(TensorCodec.FromArray(bools, 3)).Span<bool>().ToArray());
    }

    [Fact]
    public void A_scalar_has_one_element_and_an_empty_shape()
    {
        var view = Reparse(TensorCodec.FromArray(new[] { 42L }));
        Assert.Equal(0, view.Rank);
        Assert.Equal(1, view.ElementCount);
        Assert.Equal(42L, view.Span<long>()[0]);
    }

    [Fact]
    public void A_tensor_with_a_zero_dimension_has_no_bytes()
    {
        var view = Reparse(TensorCodec.Wrap(DType.Float16, new long[] { 4, 0, 8 }, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(0, view.ElementCount);
        Assert.Equal(new long[] { 4, 0, 8 }, view.Shape);
        Assert.True(view.Span<Half>().IsEmpty);
    }

    [Fact]
    public void A_real_size_fp16_feature_tensor_round_trips_and_is_read_in_place()
    {
        // 576 visual tokens x 4096 LLM width in fp16: 4.7 MB, more than gRPC's default message limit.
        var values = new Half[576 * 4096];
        for (var i = 0; i < values.Length; i++) values[i] = (Half)((i % 2048) / 1024f - 1f);
        var message = TensorCodec.FromArray(values, 576, 4096);
        var wire = message.ToByteArray();
        Assert.True(wire.Length > 4 * 1024 * 1024);

        var parsed = Tensor.Parser.ParseFrom(wire);
        var view = TensorView.Open(parsed, "features");
        Assert.True(view.Span<Half>().SequenceEqual(values));
        // Zero-copy read: the view's memory is the parsed message's buffer, not a copy of it.
        Assert.True(view.Data.Span.Overlaps(parsed.Data.Span));
    }

    [Fact]
    public void Wrapping_an_array_does_not_copy_it()
    {
        var values = new float[] { 1, 2, 3 };
        var message = TensorCodec.FromArray(values, 3);
        values[1] = 20;
        Assert.Equal(20f, TensorView.Open(message, "t").Span<float>()[1]);
    }

    [Fact]
    public void Features_convert_between_float32_float16_and_bfloat16()
    {
        var values = new[] { 1f, -0.5f, 3.140625f, 65504f, 1e-3f };
        foreach (var dtype in new[] { DType.Float32, DType.Float16, DType.Bfloat16 })
        {
            var back = Reparse(TensorCodec.FromFloat32(values, new long[] { 5 }, dtype)).ToFloat32Array();
            for (var i = 0; i < values.Length; i++)
                Assert.Equal(values[i], back[i], Math.Abs(values[i]) * (dtype == DType.Bfloat16 ? 8e-3f : 1e-3f));
        }
    }

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(1.00390625f, 0x3F80)] // halfway between 0x3F80 and 0x3F81: ties to even
    [InlineData(1.01171875f, 0x3F82)] // halfway between 0x3F81 and 0x3F82: ties to even (up)
    [InlineData(float.PositiveInfinity, 0x7F80)]
    public void Bfloat16_narrowing_rounds_to_nearest_even_as_pytorch_does(float value, int expectedBits)
    {
        Assert.Equal((ushort)expectedBits, FloatConversions.SingleToBFloat16(value));
    }

    [Fact]
    public void Bfloat16_keeps_nan_a_nan()
    {
        Assert.True(float.IsNaN(FloatConversions.BFloat16ToSingle(FloatConversions.SingleToBFloat16(float.NaN))));
    }

    [Fact]
    public void Named_tensors_keep_their_names()
    {
        var named = NamedTensor.Parser.ParseFrom(TensorCodec.Named("clip", TensorCodec.FromArray(new[] { 1f }, 1)).ToByteArray());
        Assert.Equal("clip", named.Name);
        Assert.Equal(1f, TensorView.Open(named.Tensor, "clip").Span<float>()[0]);
    }

    private static TensorView Reparse(Tensor tensor) => TensorView.Open(Tensor.Parser.ParseFrom(tensor.ToByteArray()), "t");
}
