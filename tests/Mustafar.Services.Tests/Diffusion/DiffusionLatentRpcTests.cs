using Grpc.Core;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Services.Tests.Host;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Services.Tests.Diffusion;

/// <summary>The diffusion service never repeats the VAE's work for a caller that keeps the latent, and gives both
/// halves of one pass in one answer: over real gRPC.</summary>
public sealed class DiffusionLatentRpcTests(DiffusionHostFixture sd) : IClassFixture<DiffusionHostFixture>
{
    private const string Question = "what is the animal in this picture doing?";
    private static readonly byte[] Image = TestImages.Png(80, 60, seed: 4);

    private Task<EncodeResponse> EncodeAsync(EncodeRequest request) =>
        sd.Client.EncodeAsync(request, deadline: DateTime.UtcNow + Eventually.Patience).ResponseAsync;

    [Fact]
    public async Task The_returned_latent_sent_instead_of_the_image_gives_the_same_features_without_the_vae()
    {
        var info = await sd.Client.GetModelInfoAsync(new GetModelInfoRequest());
        Assert.True(info.LatentChannels > 0 && info.LatentSize > 0);

        var first = new DiffusionCase(Question, Seed: 9, Variant: FeatureVariant.Conditional).ToProto(Image);
        first.ReturnLatent = true;
        var withImage = await EncodeAsync(first);
        Assert.True(withImage.Settings.VaeRan);
        Assert.Equal([info.LatentChannels, info.LatentSize, info.LatentSize], withImage.Latent.Shape);
        Assert.Equal(info.ComputeDtype, withImage.Latent.Dtype);

        // Another question about the same image, from its latent: the same numbers as from the image.
        var second = new DiffusionCase("is it raining?", Seed: 9, Variant: FeatureVariant.Conditional).ToProto([]);
        second.Latent = withImage.Latent;
        var fromLatent = await EncodeAsync(second);
        Assert.False(fromLatent.Settings.VaeRan);
        Assert.Null(fromLatent.Latent);
        var fromImage = await EncodeAsync(new DiffusionCase("is it raining?", Seed: 9, Variant: FeatureVariant.Conditional).ToProto(Image));
        Assert.Equal(fromImage.Features[0].Features.Data, fromLatent.Features[0].Features.Data);
    }

    [Fact]
    public async Task Halves_returns_both_halves_of_one_pass_equal_to_the_single_variants()
    {
        var halves = await EncodeAsync(new DiffusionCase(Question, Seed: 3, Variant: FeatureVariant.Halves).ToProto(Image));
        Assert.Equal((FeatureVariant.Halves, 2), (halves.Settings.Variant, halves.Settings.UnetRows));
        var conditional = await EncodeAsync(new DiffusionCase(Question, Seed: 3, Variant: FeatureVariant.Conditional).ToProto(Image));
        var unconditional = await EncodeAsync(new DiffusionCase(Question, Seed: 3, Variant: FeatureVariant.Unconditional).ToProto(Image));
        // Each row of the two-row pass against the same row run alone: equal up to batch-position rounding.
        Assert.True(MaxAbsDiff(halves.Features[0].Features, conditional.Features[0].Features) < 1e-5);
        Assert.True(MaxAbsDiff(halves.UnconditionalFeatures[0].Features, unconditional.Features[0].Features) < 1e-5);
        Assert.True(MaxAbsDiff(halves.Features[0].Features, halves.UnconditionalFeatures[0].Features) > 1e-4);
    }

    [Fact]
    public async Task A_latent_of_the_wrong_shape_or_dtype_or_beside_an_image_is_refused_naming_latent()
    {
        var info = await sd.Client.GetModelInfoAsync(new GetModelInfoRequest());
        var count = info.LatentChannels * info.LatentSize * info.LatentSize;
        EncodeRequest With(Tensor latent, byte[] image)
        {
            var request = new DiffusionCase(Question, Variant: FeatureVariant.Conditional).ToProto(image);
            request.Latent = latent;
            return request;
        }
        var right = TensorCodec.FromFloat32(new float[count], [info.LatentChannels, info.LatentSize, info.LatentSize], info.ComputeDtype);
        var wrongShape = TensorCodec.FromFloat32(new float[count], [info.LatentChannels, info.LatentSize * info.LatentSize], info.ComputeDtype);
        var wrongDType = TensorCodec.FromFloat32(new float[count], [info.LatentChannels, info.LatentSize, info.LatentSize], DType.Float16);
        foreach (var request in new[] { With(wrongShape, []), With(wrongDType, []), With(right, Image) })
            await RpcAssert.FailsOnFieldAsync(() => EncodeAsync(request), StatusCode.InvalidArgument, "latent");
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        var (x, y) = (TensorView.Open(a, "a").ToFloat32Array(), TensorView.Open(b, "b").ToFloat32Array());
        Assert.Equal(x.Length, y.Length);
        return x.Zip(y, (p, q) => Math.Abs((double)p - q)).Max();
    }
}
