using Grpc.Core;
using Grpc.Net.Client;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Load.Scenario;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Load.Requests;

/// <summary>Sends each kind of request to the mesh a scenario names, over one pooled HTTP client and one gRPC
/// channel per address (several HTTP/2 connections when the streams of one are used up).</summary>
public sealed class MeshSender : IRequestSender, IDisposable
{
    private readonly HttpClient? _http;
    private readonly List<GrpcChannel> _channels = [];
    private readonly ChatSender? _chat;
    private readonly AskSender? _ask;
    private readonly EncoderSender _encoders;

    public MeshSender(LoadScenario scenario)
    {
        var headers = new Metadata();
        if (scenario.ApiKey is not null) headers.Add("authorization", "Bearer " + scenario.ApiKey);
        if (scenario.Gateway is { } gateway)
        {
            _http = new HttpClient(Handler()) { BaseAddress = WithTrailingSlash(gateway), Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            _chat = new ChatSender(_http, scenario.MaxTokens, scenario.ApiKey, scenario.BannedTokens);
        }
        var gatewayGrpc = scenario.GatewayGrpc is { } g ? Channel(g) : null;
        if (gatewayGrpc is not null) _ask = new AskSender(new VisualQuestionAnswering.VisualQuestionAnsweringClient(gatewayGrpc), scenario.MaxTokens, scenario.BannedTokens, scenario.Timeout, headers);
        var diffusion = scenario.DiffusionGrpc is { } d ? Channel(d) : gatewayGrpc;
        _encoders = new EncoderSender(gatewayGrpc is null ? null : new ClipEncoder.ClipEncoderClient(gatewayGrpc),
            diffusion is null ? null : new DiffusionEncoder.DiffusionEncoderClient(diffusion), scenario.Timeout, headers);
    }

    public Task<SendResult> SendAsync(RequestPlan plan, Action firstToken, CancellationToken cancellationToken) => plan.Kind switch
    {
        RequestKind.Chat => Need(_chat).SendAsync(plan, stream: false, firstToken, cancellationToken),
        RequestKind.ChatStream => Need(_chat).SendAsync(plan, stream: true, firstToken, cancellationToken),
        RequestKind.Ask => Need(_ask).SendAsync(plan, firstToken, cancellationToken),
        RequestKind.Clip => _encoders.ClipAsync(plan, cancellationToken),
        RequestKind.Diffusion => _encoders.DiffusionAsync(plan, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(plan), plan.Kind, "unknown request kind"),
    };

    /// <summary>The client of a kind, which the scenario's validation guarantees for every kind in its mix.</summary>
    internal static T Need<T>(T? client) where T : class =>
        client ?? throw new InvalidOperationException("the scenario has no address for this kind of request");

    private GrpcChannel Channel(Uri address)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = Handler(),
            MaxReceiveMessageSize = 64 << 20,
            MaxSendMessageSize = 64 << 20,
        });
        _channels.Add(channel);
        return channel;
    }

    private static SocketsHttpHandler Handler() => new()
    {
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
    };

    private static Uri WithTrailingSlash(Uri address) =>
        address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");

    public void Dispose()
    {
        _http?.Dispose();
        foreach (var channel in _channels) channel.Dispose();
    }
}
