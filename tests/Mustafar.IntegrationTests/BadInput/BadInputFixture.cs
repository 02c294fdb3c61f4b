using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Contracts.Generation.V1;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>
/// One real mesh for the whole sweep, and the answers it gave to a good request before any bad one arrived: after
/// every group of bad requests the same good request (cache bypassed, so both encoders and the generator really
/// run) must get the very same greedy answer over HTTP and gRPC, and every process must still be running.
/// </summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    public const string Question = "What is on the table?";

    private LocalMesh? _mesh;
    private string _httpBaseline = "";
    private string _grpcBaseline = "";

    public LocalMesh Mesh => _mesh ?? throw new InvalidOperationException("the mesh has not started");

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Plain HTTP to the gateway's gRPC port (h2c), for requests no gRPC client would send.</summary>
    public HttpClient GrpcPortHttp { get; private set; } = null!;

    public VisualQuestionAnswering.VisualQuestionAnsweringClient Vqa { get; private set; } = null!;

    /// <summary>The gateway's gRPC port for hand-made messages (bytes no generated client would send).</summary>
    public CallInvoker GatewayInvoker { get; private set; } = null!;

    public ClipEncoder.ClipEncoderClient Clip { get; private set; } = null!;

    public DiffusionEncoder.DiffusionEncoderClient Diffusion { get; private set; } = null!;

    /// <summary>The diffusion encoder's gRPC port for hand-made messages.</summary>
    public CallInvoker DiffusionInvoker { get; private set; } = null!;

    public Generator.GeneratorClient Generator { get; private set; } = null!;

    /// <summary>The generator's gRPC port for hand-made messages.</summary>
    public CallInvoker GeneratorInvoker { get; private set; } = null!;

    public Contracts.Generation.V1.ModelInfo GeneratorInfo { get; private set; } = null!;

    /// <summary>A bomb PNG just over the services' pixel cap (which is below the gateway's), so the gateway passes
    /// it on and an encoder refuses it from the header.</summary>
    public byte[] BombOverServiceCap { get; private set; } = [];

    public async Task InitializeAsync()
    {
        _mesh = await LocalMesh.StartAsync();
        Http = new HttpClient { BaseAddress = Mesh.GatewayHttp, Timeout = TimeSpan.FromMinutes(2) };
        GrpcPortHttp = new HttpClient { BaseAddress = Mesh.GatewayGrpc, Timeout = TimeSpan.FromMinutes(2) };
        var gateway = Mesh.Channel(Mesh.GatewayGrpc);
        Vqa = new VisualQuestionAnswering.VisualQuestionAnsweringClient(gateway);
        GatewayInvoker = gateway.CreateCallInvoker();
        Clip = new ClipEncoder.ClipEncoderClient(Mesh.Channel(Mesh.ClipGrpc[0]));
        var diffusion = Mesh.Channel(Mesh.DiffusionGrpc);
        Diffusion = new DiffusionEncoder.DiffusionEncoderClient(diffusion);
        DiffusionInvoker = diffusion.CreateCallInvoker();
        var generator = Mesh.Channel(Mesh.GeneratorGrpc);
        Generator = new Generator.GeneratorClient(generator);
        GeneratorInvoker = generator.CreateCallInvoker();
        GeneratorInfo = await Generator.GetModelInfoAsync(new Contracts.Generation.V1.GetModelInfoRequest());
        var side = (int)Math.Sqrt((await Clip.GetModelInfoAsync(new Contracts.Clip.V1.GetModelInfoRequest())).MaxImagePixels) + 1;
        BombOverServiceCap = MalformedImages.Bomb(side, side);
        (_httpBaseline, _grpcBaseline) = (await AskHttpAsync(), await AskGrpcAsync());
        Assert.False(string.IsNullOrEmpty(_httpBaseline), "the good request got an empty answer before any bad input");
    }

    /// <summary>A good chat request: the sample image, the question, greedy, two tokens.</summary>
    public static JsonObject GoodChat(bool bypassCache = false) =>
        GatewayClient.ChatBody(SampleImages.StillLife, Question, stream: false, maxTokens: 2, new JsonObject { ["bypass_cache"] = bypassCache });

    /// <summary>A good Ask request with the same settings.</summary>
    public static AskRequest GoodAsk(bool bypassCache = false) => new()
    {
        Image = ByteString.CopyFrom(SampleImages.StillLife),
        Question = Question,
        Options = new AskOptions { BypassCache = bypassCache, Sampling = new SamplingParams { MaxNewTokens = 2, Temperature = 0 } },
    };

    private async Task<string> AskHttpAsync()
    {
        using var client = new GatewayClient(Mesh.GatewayHttp);
        return (await client.ChatAsync(GoodChat(bypassCache: true))).Text;
    }

    private async Task<string> AskGrpcAsync()
    {
        using var call = Vqa.Ask(GoodAsk(bypassCache: true), deadline: DateTime.UtcNow.AddMinutes(2));
        var text = new System.Text.StringBuilder();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
            if (message.EventCase == AskResponse.EventOneofCase.Delta) text.Append(message.Delta.Text);
        return text.ToString();
    }

    /// <summary>Every process still runs and the good request gets its baseline answer over both APIs.</summary>
    public async Task AssertStillAnswersAsync(string after)
    {
        var dead = Mesh.Processes.Where(p => !p.IsRunning).Select(p => $"{p.Name} (exit code {p.ExitCode})").ToList();
        Assert.True(dead.Count == 0, $"after {after}: {string.Join(", ", dead)} stopped\n{Mesh.Logs}");
        try
        {
            Assert.Equal(_httpBaseline, await AskHttpAsync());
            Assert.Equal(_grpcBaseline, await AskGrpcAsync());
        }
        catch (Exception error)
        {
            throw new InvalidOperationException($"after {after} the good request failed: {error.Message}\n{Mesh.Logs}", error);
        }
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        GrpcPortHttp?.Dispose();
        if (_mesh is not null) await _mesh.DisposeAsync();
    }
}
