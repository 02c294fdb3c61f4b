using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Models.Clip;
using Mustafar.Services.Tests.Host;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Torch;
using TorchSharp;
using Mustafar.Services.Tests.KernelSafety;
using Mustafar.Models.Imaging;
using Mustafar.ClipEncoder;

namespace Mustafar.Services.Tests.Clip;

/// <summary>ClipEncoderService over real gRPC: the numbers, the echoed settings, the model description and bad input.</summary>
public sealed class ClipEncoderServiceTests(ClipHostFixture clip) : IClassFixture<ClipHostFixture>
{
    private static readonly byte[] Wide = TestImages.GradientPng(60, 30, seed: 1);

    private Task<EncodeResponse> EncodeAsync(byte[] image, EncodeOptions? options = null) =>
        clip.Client.EncodeAsync(new EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(image), Options = options },
            deadline: ServiceHost<ClipEncoderService, ClipVisionEncoder>.Deadline).ResponseAsync;

    /// <summary>What the model itself gives for one image, encoded as the service should send it.</summary>
    private Tensor Direct(byte[] image, int? layer, ClipFeatureSelect? select, AspectFit? aspect, DType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var preprocessed = clip.Direct.Preprocess(image, aspect);
        var features = clip.Direct.Encode([preprocessed], layer, select)[0];
        return TorchTensorBridge.ToProto(features, dtype);
    }

    public static TheoryData<int?, FeatureSelect, ImageAspect, DType> Options => new()
    {
        { null, FeatureSelect.Unspecified, ImageAspect.Unspecified, DType.Unspecified },
        { -2, FeatureSelect.Patch, ImageAspect.Pad, DType.Float32 },
        { 0, FeatureSelect.ClsPatch, ImageAspect.Crop, DType.Float16 },
        { -1, FeatureSelect.Unspecified, ImageAspect.Crop, DType.Bfloat16 },
        { 1, FeatureSelect.ClsPatch, ImageAspect.Unspecified, DType.Float32 },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public async Task Features_through_the_wire_are_the_models_own_numbers_for_every_option(int? layer, FeatureSelect select, ImageAspect aspect, DType dtype)
    {
        var options = new EncodeOptions { SelectFeature = select, Aspect = aspect, OutputDtype = dtype };
        if (layer is { } value) options.SelectLayer = value;

        var response = await EncodeAsync(Wide, options);

        var info = clip.Direct.Info;
        var expectedSelect = select == FeatureSelect.ClsPatch ? ClipFeatureSelect.ClsPatch
            : select == FeatureSelect.Patch ? ClipFeatureSelect.Patch : info.Defaults.SelectFeature;
        var expectedAspect = aspect == ImageAspect.Crop ? AspectFit.Crop : aspect == ImageAspect.Pad ? AspectFit.Pad : info.Defaults.Aspect;
        var expected = Direct(Wide, layer, expectedSelect, expectedAspect, dtype == DType.Unspecified ? DType.Float32 : dtype);
        // The same bytes: one image runs as a batch of one, through the same kernels as the direct call.
        Assert.Equal(expected.Dtype, response.Features.Dtype);
        Assert.Equal(expected.Shape, response.Features.Shape);
        Assert.Equal(expected.Data, response.Features.Data);

        var index = clip.Direct.Resolve(layer).HiddenStateIndex;
        Assert.Equal(index, response.SelectLayer);
        Assert.Equal(expectedSelect == ClipFeatureSelect.ClsPatch ? FeatureSelect.ClsPatch : FeatureSelect.Patch, response.SelectFeature);
        Assert.Equal(("tiny-clip", info.GridHeight, info.GridWidth), (response.ModelId, response.GridHeight, response.GridWidth));
        var preprocessing = response.Preprocessing;
        Assert.Equal((60, 30), (preprocessing.SourceWidth, preprocessing.SourceHeight));
        Assert.Equal(expectedAspect == AspectFit.Crop ? ImageAspect.Crop : ImageAspect.Pad, preprocessing.Aspect);
        Assert.Equal((info.ImageSize, info.ImageSize, "bicubic"), (preprocessing.CropSize, preprocessing.ShortestEdge, preprocessing.Resample));
        Assert.Equal(info.Preprocessing.ImageMean.Select(m => (float)m), preprocessing.ImageMean);
        Assert.Equal(info.Preprocessing.ImageStd.Select(s => (float)s), preprocessing.ImageStd);
        Assert.Equal((float)(1.0 / 255), preprocessing.RescaleFactor);
    }

    [Fact]
    public async Task A_jpeg_is_decoded_and_encoded_like_a_png()
    {
        var jpeg = TestImages.GradientJpeg(50, 70, seed: 2);
        var response = await EncodeAsync(jpeg);
        var expected = Direct(jpeg, null, null, null, DType.Float32);
        Assert.Equal(expected.Data, response.Features.Data);
        Assert.Equal((50, 70), (response.Preprocessing.SourceWidth, response.Preprocessing.SourceHeight));
    }

    [Fact]
    public async Task Model_info_describes_the_loaded_tower_its_defaults_and_limits()
    {
        var info = await clip.Client.GetModelInfoAsync(new GetModelInfoRequest());
        var direct = clip.Direct.Info;
        Assert.Equal("tiny-clip", info.ModelId);
        KernelSelfCheckAssert.PassedOn(info.KernelSelfCheck, "cpu", "float32", "conv2d", "layer_norm", "linear", "sdpa");
        Assert.Equal((direct.HiddenSize, direct.NumLayers, direct.ImageSize, direct.PatchSize, direct.GridHeight, direct.GridWidth),
            (info.HiddenSize, info.NumLayers, info.ImageSize, info.PatchSize, info.GridHeight, info.GridWidth));
        // A bare CLIP checkpoint takes LLaVA-1.5's settings: penultimate layer, patch tokens, pad to square.
        Assert.Equal((-2, FeatureSelect.Patch, ImageAspect.Pad), (info.DefaultSelectLayer, info.DefaultSelectFeature, info.DefaultAspect));
        Assert.Equal((DType.Float32, "cpu", 8, (long)ClipHostFixture.MaxImagePixels),
            (info.ComputeDtype, info.Device, info.MaxBatchSize, info.MaxImagePixels));
        Assert.Equal((0, 0, ImageAspect.Pad), (info.Preprocessing.SourceWidth, info.Preprocessing.SourceHeight, info.Preprocessing.Aspect));
        Assert.Equal((direct.ImageSize, direct.ImageSize, 3), (info.Preprocessing.CropSize, info.Preprocessing.ShortestEdge, info.Preprocessing.ImageMean.Count));
    }

    public static TheoryData<string, Func<EncodeRequest>, StatusCode, string, bool> BadRequests => new()
    {
        { "no image", () => Request([]), StatusCode.InvalidArgument, "image", false },
        { "corrupt image", () => Request([1, 2, 3, 4, 5, 6, 7, 8, 9]), StatusCode.InvalidArgument, "image", false },
        { "truncated image", () => Request(TestImages.TruncatedPng(40, 40, seed: 5)), StatusCode.InvalidArgument, "image", false },
        { "too many pixels", () => Request(TestImages.GradientPng(200, 120, seed: 6)), StatusCode.InvalidArgument, "image", true },
        { "too many bytes", () => Request(new byte[ClipHostFixture.MaxImageBytes + 1]), StatusCode.InvalidArgument, "image", true },
        { "layer past the end", () => Request(Wide, new EncodeOptions { SelectLayer = 4 }), StatusCode.InvalidArgument, "options.select_layer", false },
        { "layer before the start", () => Request(Wide, new EncodeOptions { SelectLayer = -5 }), StatusCode.InvalidArgument, "options.select_layer", false },
        { "unknown token selection", () => Request(Wide, new EncodeOptions { SelectFeature = (FeatureSelect)7 }), StatusCode.InvalidArgument, "options.select_feature", false },
        { "unknown aspect", () => Request(Wide, new EncodeOptions { Aspect = (ImageAspect)9 }), StatusCode.InvalidArgument, "options.aspect", false },
        { "integer output", () => Request(Wide, new EncodeOptions { OutputDtype = DType.Int64 }), StatusCode.InvalidArgument, "options.output_dtype", false },
        { "unknown dtype", () => Request(Wide, new EncodeOptions { OutputDtype = (DType)42 }), StatusCode.InvalidArgument, "options.output_dtype", false },
    };

    private static EncodeRequest Request(byte[] image, EncodeOptions? options = null) =>
        new() { Image = Google.Protobuf.ByteString.CopyFrom(image), Options = options };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_names_its_field_and_the_service_keeps_serving(string what, Func<EncodeRequest> request, StatusCode code, string field, bool tooLarge)
    {
        var message = await RpcAssert.FailsOnFieldAsync(
            () => clip.Client.EncodeAsync(request(), deadline: DateTime.UtcNow + Eventually.Patience).ResponseAsync, code, field, tooLarge);
        Assert.False(string.IsNullOrWhiteSpace(message), what);

        var good = await EncodeAsync(Wide);
        Assert.Equal(Direct(Wide, null, null, null, DType.Float32).Data, good.Features.Data);
    }
}
