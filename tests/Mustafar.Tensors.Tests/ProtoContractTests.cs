using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors.Tests;

/// <summary>The .proto files are the contract with clients in other stacks: every declaration is documented and
/// the service paths that the gateway routes on exist with the expected shapes.</summary>
public partial class ProtoContractTests
{
    private static readonly string ProtoRoot = Path.Combine(AppContext.BaseDirectory, "protos");

    private static string[] ProtoPaths() =>
        [.. Directory.GetFiles(ProtoRoot, "*.proto", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(ProtoRoot, f).Replace('\\', '/')).Order()];

    public static TheoryData<string> ProtoFiles() => new(ProtoPaths());

    [Fact]
    public void All_six_protos_are_present()
    {
        Assert.Equal(
            ["mustafar/clip/v1/clip_encoder.proto", "mustafar/diffusion/v1/diffusion_encoder.proto", "mustafar/generation/v1/generator.proto",
             "mustafar/serving/v1/kernel_self_check.proto", "mustafar/tensor/v1/tensor.proto", "mustafar/vqa/v1/vqa.proto"],
            ProtoPaths());
    }

    [Theory]
    [MemberData(nameof(ProtoFiles))]
    public void Every_service_rpc_message_enum_field_and_value_is_documented(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(ProtoRoot, file)).Select(l => l.Trim()).ToArray();
        var undocumented = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var isDeclaration = Declaration().IsMatch(line);
            var isMember = Member().IsMatch(line);
            if (!isDeclaration && !isMember) continue;
            var previous = i > 0 ? lines[i - 1] : "";
            // A comment documents the declaration below it; consecutive members share the comment above the group.
            var documented = previous.StartsWith("//", StringComparison.Ordinal) || (isMember && IsDocumentedGroupMember(lines, i - 1));
            if (!documented) undocumented.Add($"{file}:{i + 1}: {line}");
        }
        Assert.Empty(undocumented);
    }

    private static bool IsDocumentedGroupMember(string[] lines, int index)
    {
        for (var j = index; j >= 0 && Member().IsMatch(lines[j]); j--)
            if (j > 0 && lines[j - 1].StartsWith("//", StringComparison.Ordinal)) return true;
        return false;
    }

    [GeneratedRegex(@"^(message|enum|service|oneof)\s+\w+\s*\{")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"^((optional|repeated)\s+)?[\w.]+\s+\w+\s*=\s*\d+;|^[A-Z][A-Z0-9_]*\s*=\s*\d+;|^rpc\s+\w+")]
    private static partial Regex Member();

    [Theory]
    [InlineData("mustafar.clip.v1.ClipEncoder", "Encode", false)]
    [InlineData("mustafar.clip.v1.ClipEncoder", "GetModelInfo", false)]
    [InlineData("mustafar.diffusion.v1.DiffusionEncoder", "Encode", false)]
    [InlineData("mustafar.diffusion.v1.DiffusionEncoder", "GetModelInfo", false)]
    [InlineData("mustafar.generation.v1.Generator", "Generate", true)]
    [InlineData("mustafar.generation.v1.Generator", "GetModelInfo", false)]
    [InlineData("mustafar.vqa.v1.VisualQuestionAnswering", "Ask", true)]
    public void Services_expose_the_methods_the_gateway_routes(string service, string method, bool serverStreaming)
    {
        var descriptor = Services.Single(s => s.FullName == service).FindMethodByName(method);
        Assert.NotNull(descriptor);
        Assert.Equal(serverStreaming, descriptor.IsServerStreaming);
        Assert.False(descriptor.IsClientStreaming);
    }

    private static readonly ServiceDescriptor[] Services =
    [
        Contracts.Clip.V1.ClipEncoderReflection.Descriptor.Services[0],
        Contracts.Diffusion.V1.DiffusionEncoderReflection.Descriptor.Services[0],
        Contracts.Generation.V1.GeneratorReflection.Descriptor.Services[0],
        Contracts.Vqa.V1.VqaReflection.Descriptor.Services[0],
    ];

    [Fact]
    public void A_generate_request_with_features_and_a_conversation_round_trips()
    {
        var request = new Contracts.Generation.V1.GenerateRequest
        {
            FusionMode = Contracts.Generation.V1.FusionMode.ConcatTokens,
            RequestId = "r-1",
            Sampling = new Contracts.Generation.V1.SamplingParams { MaxNewTokens = 32, Temperature = 0.7f, TopP = 0.9f, TopK = 40, Seed = 3, Stop = { "###" } },
            Messages =
            {
                new Contracts.Generation.V1.ChatMessage { Role = Contracts.Generation.V1.Role.User, Content = "<image>\nWhat is on the table?" },
            },
            Features =
            {
                TensorCodec.Named("clip", TensorCodec.FromArray(new Half[8 * 4], 8, 4)),
                TensorCodec.Named("diffusion", TensorCodec.FromArray(new float[4 * 6], 4, 6)),
            },
        };

        var parsed = Contracts.Generation.V1.GenerateRequest.Parser.ParseFrom(request.ToByteArray());

        Assert.Equal(request, parsed);
        Assert.True(parsed.Sampling.HasTemperature);
        Assert.False(parsed.Sampling.HasRepetitionPenalty);
        Assert.Equal(new long[] { 4, 6 }, TensorView.Open(parsed.Features[1].Tensor, "features[1].tensor").Shape);
    }

    [Fact]
    public void Unset_optional_diffusion_settings_stay_distinguishable_from_zero()
    {
        var parsed = Contracts.Diffusion.V1.EncodeRequest.Parser.ParseFrom(new Contracts.Diffusion.V1.EncodeRequest { Timestep = 0 }.ToByteArray());
        Assert.True(parsed.HasTimestep);
        Assert.Equal(0, parsed.Timestep);
        Assert.False(parsed.HasSeed);
        Assert.False(parsed.HasGuidanceScale);
    }

    [Fact]
    public void Json_names_are_stable_for_http_clients()
    {
        var json = JsonFormatter.Default.Format(new Tensor { Dtype = DType.Bfloat16, Shape = { 1, 2 }, Data = ByteString.CopyFrom(1, 2, 3, 4) });
        Assert.Equal("""{ "dtype": "DTYPE_BFLOAT16", "shape": [ "1", "2" ], "data": "AQIDBA==" }""", json);
    }
}
