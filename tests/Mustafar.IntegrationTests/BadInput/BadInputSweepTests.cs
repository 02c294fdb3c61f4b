using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.IntegrationTests.Mesh;
using Xunit.Abstractions;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>
/// The bad-input sweep: well over a hundred malformed requests across the gateway's HTTP API, its gRPC Ask and each
/// model service's gRPC API, against one mesh of real processes. Each case must get its exact status (HTTP status
/// with the OpenAI error's type, param and code; gRPC status with the field named), no message may leak internals,
/// and after each group the mesh must still give the same answer to a good request as before the sweep.
/// </summary>
public sealed class BadInputSweepTests(BadInputFixture fixture, ITestOutputHelper output) : IClassFixture<BadInputFixture>
{
    public static TheoryData<string> GroupNames { get; } = [.. HttpCases.Groups.Keys.Concat(GrpcCases.Groups.Keys)];

    private static IEnumerable<BadInputCase> Cases(string group) =>
        HttpCases.Groups.TryGetValue(group, out var http) ? http() : GrpcCases.Groups[group]();

    [Theory]
    [MemberData(nameof(GroupNames))]
    public async Task Every_malformed_request_gets_its_exact_status_and_the_mesh_still_answers(string group)
    {
        var failures = new StringBuilder();
        var count = 0;
        foreach (var badCase in Cases(group))
        {
            count++;
            try
            {
                var actual = await badCase.Send(fixture);
                if (actual != badCase.Expected) failures.AppendLine($"- {badCase.Name}: expected {badCase.Expected}, got {actual}");
            }
            catch (Exception error)
            {
                failures.AppendLine($"- {badCase.Name}: {error.GetType().Name}: {error.Message}");
            }
        }
        Assert.True(failures.Length == 0, $"{group}: cases that did not get their expected outcome:\n{failures}");
        Assert.True(count >= 10, $"{group} has only {count} cases");
        await fixture.AssertStillAnswersAsync(group);
    }

    [Fact]
    public void The_sweep_sends_at_least_thirty_requests_over_http_and_grpc()
    {
        Assert.True(HttpCases.Groups.Values.Sum(g => g().Count()) >= 30);
        Assert.True(GrpcCases.Groups.Values.Sum(g => g().Count()) >= 30);
    }

    /// <summary>Issue #13: a 20000 x 1 PNG took the CLIP encoder from 259 to 2570 MiB, never given back. A burst of
    /// the widest images it serves (1000:1, padded and cropped) and of those it refuses must leave its resident
    /// memory near where it was after a warm-up with ordinary images. The bound is the soak test's; drawing one
    /// 20000 x 20000 pad canvas is 1.2 GB.</summary>
    [Fact]
    public async Task A_burst_of_very_wide_images_leaves_the_clip_encoder_at_its_memory_baseline()
    {
        var pid = fixture.Mesh.ClipEncoders[0].ProcessId ?? throw new InvalidOperationException("the CLIP encoder is not running");
        (int Width, int Height, Contracts.Clip.V1.ImageAspect Aspect)[] burst =
        [
            (20_000, 20, Contracts.Clip.V1.ImageAspect.Pad), (20_000, 20, Contracts.Clip.V1.ImageAspect.Crop), (20, 20_000, Contracts.Clip.V1.ImageAspect.Pad),
            (20_000, 1, Contracts.Clip.V1.ImageAspect.Pad), (30_000, 1, Contracts.Clip.V1.ImageAspect.Pad), (1_000_000, 1, Contracts.Clip.V1.ImageAspect.Crop),
        ];
        foreach (var aspect in new[] { Contracts.Clip.V1.ImageAspect.Pad, Contracts.Clip.V1.ImageAspect.Crop })
            await EncodeAsync(SampleImages.StillLife, aspect);
        var baseline = ProcessResources.RssKiBOf(pid) / 1024.0;
        var peak = baseline;
        var statuses = new List<string>();
        for (var round = 0; round < 8; round++)
            foreach (var (width, height, aspect) in burst)
            {
                var status = await EncodeAsync(MalformedImages.Strip(width, height), aspect);
                if (status is not (StatusCode.OK or StatusCode.InvalidArgument)) statuses.Add($"{width} x {height} {aspect}: {status}");
                peak = Math.Max(peak, ProcessResources.RssKiBOf(pid) / 1024.0);
            }
        var after = ProcessResources.RssKiBOf(pid) / 1024.0;
        output.WriteLine($"CLIP encoder RSS: {baseline:F0} MiB after the warm-up, peak {peak:F0} MiB, {after:F0} MiB after {8 * burst.Length} very wide images");
        Assert.True(after - baseline <= RssGrowthBoundMiB,
            $"the CLIP encoder's RSS went from {baseline:F0} MiB to {after:F0} MiB (peak {peak:F0}) over {8 * burst.Length} very wide images (bound {RssGrowthBoundMiB} MiB)");
        Assert.True(statuses.Count == 0, "neither served nor refused as INVALID_ARGUMENT:\n" + string.Join('\n', statuses.Distinct()));
    }

    private const double RssGrowthBoundMiB = 64;

    /// <summary>Issue #13: a 16-bit greyscale PNG was clipped to a white image, so its features were those of a
    /// blank white picture. The encoder must see the gradient.</summary>
    [Fact]
    public async Task A_16_bit_grey_picture_is_not_encoded_as_a_blank_white_one()
    {
        var grey = await fixture.Clip.EncodeAsync(new Contracts.Clip.V1.EncodeRequest { Image = ByteString.CopyFrom(MalformedImages.SixteenBitGrey()) });
        var white = await fixture.Clip.EncodeAsync(new Contracts.Clip.V1.EncodeRequest { Image = ByteString.CopyFrom(WhitePng(64, 48)) });
        Assert.Equal(white.Features.Shape, grey.Features.Shape);
        Assert.NotEqual(white.Features.Data, grey.Features.Data);
    }

    private static byte[] WhitePng(int width, int height)
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(width, height, new SixLabors.ImageSharp.PixelFormats.Rgb24(255, 255, 255));
        using var png = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, png);
        return png.ToArray();
    }

    private async Task<StatusCode> EncodeAsync(byte[] image, Contracts.Clip.V1.ImageAspect aspect)
    {
        try
        {
            var request = new Contracts.Clip.V1.EncodeRequest { Image = ByteString.CopyFrom(image), Options = new Contracts.Clip.V1.EncodeOptions { Aspect = aspect } };
            await fixture.Clip.EncodeAsync(request, deadline: DateTime.UtcNow.AddMinutes(1));
            return StatusCode.OK;
        }
        catch (RpcException error)
        {
            return error.StatusCode;
        }
    }
}
