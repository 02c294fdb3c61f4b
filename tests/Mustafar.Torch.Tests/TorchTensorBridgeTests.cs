using Google.Protobuf;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;
using TorchSharp;

namespace Mustafar.Torch.Tests;

public class TorchTensorBridgeTests
{
    public static TheoryData<DType> AllDTypes() => new(Enum.GetValues<DType>().Where(DTypes.IsValid));

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void Every_dtype_goes_to_torch_and_back_unchanged(DType dtype)
    {
        var bytes = new byte[2 * 3 * 4 * DTypes.ElementSize(dtype)];
        new Random(11).NextBytes(bytes);
        if (dtype == DType.Bool) for (var i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        // Random bits can be NaN payloads, which conversions may canonicalise; keep floats finite.
        if (dtype is DType.Float32 or DType.Float16 or DType.Bfloat16 or DType.Float64)
            for (var i = DTypes.ElementSize(dtype) - 1; i < bytes.Length; i += DTypes.ElementSize(dtype)) bytes[i] &= 0x3F;
        var message = Tensor.Parser.ParseFrom(TensorCodec.Wrap(dtype, new long[] { 2, 3, 4 }, bytes).ToByteArray());

        using var scope = torch.NewDisposeScope();
        var tensor = TorchTensorBridge.ToTorch(message, "t");
        Assert.Equal(TorchDTypes.ToScalarType(dtype), tensor.dtype);
        Assert.Equal(new long[] { 2, 3, 4 }, tensor.shape);

        var back = TorchTensorBridge.ToProto(tensor);
        Assert.Equal(message, back);
    }

    [Fact]
    public void Values_land_in_row_major_order()
    {
        using var scope = torch.NewDisposeScope();
        var tensor = TorchTensorBridge.ToTorch(TensorCodec.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3), "t");
        Assert.Equal(6f, tensor[1, 2].item<float>());
        Assert.Equal(4f, tensor[1, 0].item<float>());
    }

    [Fact]
    public void Non_contiguous_tensors_are_sent_in_logical_order()
    {
        using var scope = torch.NewDisposeScope();
        var transposed = torch.arange(6, dtype: torch.float32).reshape(2, 3).t();
        var view = TensorView.Open(TorchTensorBridge.ToProto(transposed), "t");
        Assert.Equal(new long[] { 3, 2 }, view.Shape);
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, view.Span<float>().ToArray());
    }

    [Fact]
    public void Features_can_be_sent_in_a_requested_dtype()
    {
        using var scope = torch.NewDisposeScope();
        var features = torch.tensor(new[] { 0.5f, -1.25f, 3f }).reshape(1, 3);
        var half = TensorView.Open(TorchTensorBridge.ToProto(features, DType.Float16), "t");
        var bf16 = TensorView.Open(TorchTensorBridge.ToProto(features, DType.Bfloat16), "t");
        Assert.Equal(DType.Float16, half.DType);
        Assert.Equal(new[] { 0.5f, -1.25f, 3f }, half.ToFloat32Array());
        Assert.Equal(new[] { 0.5f, -1.25f, 3f }, bf16.ToFloat32Array());
    }

    [Fact]
    public void Empty_and_scalar_tensors_cross_the_bridge()
    {
        using var scope = torch.NewDisposeScope();
        var empty = TorchTensorBridge.ToTorch(TensorCodec.Wrap(DType.Float32, new long[] { 0, 5 }, ReadOnlyMemory<byte>.Empty), "t");
        Assert.Equal(new long[] { 0, 5 }, empty.shape);
        Assert.Equal(0, TorchTensorBridge.ToProto(empty).Data.Length);

        var scalar = TorchTensorBridge.ToTorch(TensorCodec.FromArray(new[] { 7L }), "t");
        Assert.Empty(scalar.shape);
        Assert.Equal(7L, scalar.item<long>());
    }

    [Fact]
    public void A_malformed_message_never_reaches_libtorch()
    {
        var bad = new Tensor { Dtype = DType.Float32, Data = ByteString.CopyFrom(new byte[10]) };
        bad.Shape.Add(3);
        var error = Assert.Throws<InvalidInputException>(() => TorchTensorBridge.ToTorch(bad, "features[0].tensor"));
        Assert.Equal("features[0].tensor.data", error.Field);
    }
}
