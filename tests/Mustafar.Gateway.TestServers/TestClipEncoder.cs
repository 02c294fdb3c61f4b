using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.TestServers;

/// <summary>A test CLIP encoder: a 4x4 patch grid of 8 channels, 4 layers, features derived from the image hash,
/// the layer and the token selection. Counts its Encode calls.</summary>
public sealed class TestClipEncoder : ClipEncoder.ClipEncoderBase
{
    public const int Grid = 4;
    public const int Hidden = 8;
    public const int Layers = 4;
    private int _encodeCalls;

    public string ModelId { get; set; } = "test-clip";
    public int EncodeCalls => Volatile.Read(ref _encodeCalls);
    public CallGate Gate { get; } = new();

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context) => Task.FromResult(new ModelInfo
    {
        ModelId = ModelId,
        HiddenSize = Hidden,
        NumLayers = Layers,
        ImageSize = Grid * 7,
        PatchSize = 7,
        GridHeight = Grid,
        GridWidth = Grid,
        DefaultSelectLayer = -2,
        DefaultSelectFeature = FeatureSelect.Patch,
        DefaultAspect = ImageAspect.Pad,
        ComputeDtype = DType.Float32,
        Device = "cpu",
        MaxBatchSize = 8,
        MaxImagePixels = 1 << 26,
    });

    public override async Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _encodeCalls);
        await Gate.PassAsync(context.CancellationToken).ConfigureAwait(false);
        if (request.Image.IsEmpty) throw new RpcException(new Status(StatusCode.InvalidArgument, "image: is empty"));
        var options = request.Options ?? new EncodeOptions();
        var layer = options.HasSelectLayer ? options.SelectLayer : -2;
        if (layer < 0) layer += Layers + 1;
        if (layer < 0 || layer > Layers) throw new RpcException(new Status(StatusCode.InvalidArgument, "options.select_layer: out of range"));
        var select = options.SelectFeature == FeatureSelect.Unspecified ? FeatureSelect.Patch : options.SelectFeature;
        var aspect = options.Aspect == ImageAspect.Unspecified ? ImageAspect.Pad : options.Aspect;
        var dtype = options.OutputDtype == DType.Unspecified ? DType.Float32 : options.OutputDtype;
        var tokens = Grid * Grid + (select == FeatureSelect.ClsPatch ? 1 : 0);
        var values = TestFeatureMath.Values(tokens * Hidden, "clip", ModelId, TestFeatureMath.Sha256(request.Image.Span), layer, select, aspect);
        return new EncodeResponse
        {
            Features = TensorCodec.FromFloat32(values, [tokens, Hidden], dtype),
            ModelId = ModelId,
            SelectLayer = layer,
            SelectFeature = select,
            GridHeight = Grid,
            GridWidth = Grid,
            Preprocessing = new Preprocessing { Aspect = aspect, CropSize = Grid * 7, ShortestEdge = Grid * 7, Resample = "bicubic" },
        };
    }
}
