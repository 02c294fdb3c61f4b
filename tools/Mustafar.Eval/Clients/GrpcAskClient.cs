using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Eval.Clients;

/// <summary>gRPC VisualQuestionAnswering/Ask on the gateway's gRPC port: the deltas of the stream joined.</summary>
public sealed class GrpcAskClient : IAnswerClient
{
    private readonly GrpcChannel _channel;
    private readonly VisualQuestionAnswering.VisualQuestionAnsweringClient _client;
    private readonly Metadata _headers = [];

    public GrpcAskClient(EvalTarget target)
    {
        _channel = GrpcChannel.ForAddress(target.Url, new GrpcChannelOptions { MaxSendMessageSize = 64 << 20 });
        _client = new VisualQuestionAnswering.VisualQuestionAnsweringClient(_channel);
        if (target.ApiKey is { Length: > 0 } key) _headers.Add("authorization", $"Bearer {key}");
    }

    public async Task<string> AskAsync(byte[] image, string question, AskSettings settings, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        try
        {
            using var call = _client.Ask(Request(image, question, settings), _headers, cancellationToken: cancellationToken);
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
                if (message.EventCase == AskResponse.EventOneofCase.Delta) text.Append(message.Delta.Text);
        }
        catch (RpcException e)
        {
            throw new AnswerException($"Ask failed: {e.StatusCode} {e.Status.Detail}", e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Unavailable, e);
        }
        return text.ToString();
    }

    public static AskRequest Request(byte[] image, string question, AskSettings settings)
    {
        var sampling = new SamplingParams { MaxNewTokens = settings.MaxTokens, Temperature = settings.Temperature };
        if (settings.TopP is { } topP) sampling.TopP = topP;
        if (settings.SamplingSeed is { } seed) sampling.Seed = seed;
        var options = new AskOptions
        {
            Sampling = sampling,
            PromptMode = settings.PromptMode switch
            {
                "question" => PromptMode.Question,
                "empty" => PromptMode.Empty,
                "custom" => PromptMode.Custom,
                _ => PromptMode.Unspecified,
            },
            CustomPrompt = settings.CustomPrompt ?? "",
            DiffusionTap = settings.DiffusionTap ?? "",
            BypassCache = settings.BypassCache,
            Model = settings.Model ?? "",
            SystemPrompt = settings.SystemPrompt ?? "",
        };
        if (settings.Timestep is { } timestep) options.Timestep = timestep;
        if (settings.DiffusionSeed is { } diffusionSeed) options.Seed = diffusionSeed;
        if (settings.GuidanceScale is { } guidance) options.GuidanceScale = guidance;
        return new AskRequest { Image = ByteString.CopyFrom(image), Question = question, Options = options };
    }

    public void Dispose() => _channel.Dispose();
}
