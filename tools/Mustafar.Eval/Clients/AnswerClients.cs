namespace Mustafar.Eval.Clients;

/// <summary>The client for a target's API.</summary>
public static class AnswerClients
{
    public static IAnswerClient Create(EvalTarget target) => target.Api switch
    {
        AnswerApi.Chat => new ChatCompletionsClient(target),
        AnswerApi.Vqa => new VqaFormClient(target),
        AnswerApi.Grpc => new GrpcAskClient(target),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target.Api, "unknown API"),
    };
}
