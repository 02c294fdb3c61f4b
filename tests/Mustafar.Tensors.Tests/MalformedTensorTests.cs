using Google.Protobuf;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors.Tests;

public class MalformedTensorTests
{
    private static Tensor Make(DType dtype, long[] shape, int bytes)
    {
        var tensor = new Tensor { Dtype = dtype, Data = ByteString.CopyFrom(new byte[bytes]) };
        tensor.Shape.AddRange(shape);
        return tensor;
    }

    private static InvalidInputException Reject(Tensor? tensor, TensorLimits? limits = null) =>
        Assert.ThrowsAny<InvalidInputException>(() => TensorView.Open(tensor, "features[0].tensor", limits));

    [Fact]
    public void A_missing_tensor_is_named()
    {
        var error = Reject(null);
        Assert.Equal("features[0].tensor", error.Field);
        Assert.Equal("features[0].tensor: tensor is missing", error.Message);
    }

    [Fact]
    public void An_unspecified_dtype_is_rejected()
    {
        var error = Reject(Make(DType.Unspecified, [2], 8));
        Assert.Equal("features[0].tensor.dtype", error.Field);
        Assert.Contains("unspecified", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_dtype_number_is_rejected()
    {
        var error = Reject(Make((DType)99, [2], 8));
        Assert.Equal("features[0].tensor.dtype", error.Field);
        Assert.Contains("unknown(99)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_dimension_is_rejected_with_its_index()
    {
        var error = Reject(Make(DType.Float32, [3, -1], 0));
        Assert.Equal("features[0].tensor.shape[1]", error.Field);
        Assert.Contains("-1 is negative", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(23)]
    [InlineData(25)]
    [InlineData(0)]
    public void A_payload_of_the_wrong_length_is_rejected_with_both_lengths(int bytes)
    {
        var error = Reject(Make(DType.Float32, [2, 3], bytes));
        Assert.Equal("features[0].tensor.data", error.Field);
        Assert.Equal($"features[0].tensor.data: has {bytes} bytes but shape [2, 3] of float32 needs 24 (6 x 4)", error.Message);
    }

    [Fact]
    public void Fp16_bytes_sent_under_an_fp32_header_are_caught()
    {
        // A client that converts to half but forgets to change the dtype sends half the bytes.
        var error = Reject(Make(DType.Float32, [576, 1024], 576 * 1024 * 2));
        Assert.Contains("needs 2359296", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_elements_than_the_cap_is_too_large()
    {
        var error = Reject(Make(DType.Uint8, [1000, 1000], 0), new TensorLimits(MaxElements: 999_999));
        Assert.IsType<InputTooLargeException>(error);
        Assert.Equal("features[0].tensor.shape", error.Field);
        Assert.Contains("maximum 999999 elements", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shape_whose_product_overflows_is_too_large_not_a_crash()
    {
        var error = Reject(Make(DType.Float32, [long.MaxValue, long.MaxValue, 4], 0));
        Assert.IsType<InputTooLargeException>(error);
    }

    [Fact]
    public void Too_many_dimensions_are_rejected()
    {
        var error = Reject(Make(DType.Float32, [1, 1, 1, 1, 1, 1, 1, 1, 1], 4));
        Assert.Equal("features[0].tensor.shape", error.Field);
        Assert.Contains("rank 9 exceeds the maximum rank 8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bool_byte_other_than_zero_or_one_is_rejected_with_its_index()
    {
        var tensor = new Tensor { Dtype = DType.Bool, Data = ByteString.CopyFrom(0, 1, 2, 0) };
        tensor.Shape.Add(4);
        var error = Reject(tensor);
        Assert.Equal("features[0].tensor.data: bool element 2 is byte 2, not 0 or 1", error.Message);
    }

    [Fact]
    public void Reading_with_the_wrong_element_type_is_refused()
    {
        var view = TensorView.Open(TensorCodec.FromArray(new[] { 1f, 2f }, 2), "t");
        var error = Assert.Throws<InvalidOperationException>(() => view.Span<Half>().Length);
        Assert.Contains("float32 tensor cannot be read as Half", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expected_shapes_report_what_was_received()
    {
        var view = TensorView.Open(TensorCodec.FromArray(new float[6], 2, 3), "features[0].tensor");
        TensorValidator.ExpectShape(view, "features[0].tensor", -1, 3);
        var error = Assert.Throws<InvalidInputException>(() => TensorValidator.ExpectShape(view, "features[0].tensor", 576, 3));
        Assert.Equal("features[0].tensor.shape: shape is [2, 3], expected [576, 3]", error.Message);
    }

    [Fact]
    public void The_builder_refuses_a_payload_that_does_not_fit_the_shape()
    {
        var error = Assert.Throws<ArgumentException>(() => TensorCodec.Wrap(DType.Int64, [2], new byte[15]));
        Assert.Contains("15 bytes given", error.Message, StringComparison.Ordinal);
    }
}
