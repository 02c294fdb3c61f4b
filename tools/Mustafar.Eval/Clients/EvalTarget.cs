namespace Mustafar.Eval.Clients;

/// <summary>Where and how a run asks: the gateway (its HTTP address for chat and vqa, its gRPC address for grpc),
/// the API and the per-request settings.</summary>
public sealed record EvalTarget(Uri Url, AnswerApi Api, AskSettings Settings, string? ApiKey = null);

/// <summary>The gateway API a run goes through.</summary>
public enum AnswerApi
{
    /// <summary>POST /v1/chat/completions, the image as a data URL, options in the "mustafar" extension.</summary>
    Chat,
    /// <summary>POST /v1/vqa, multipart form fields.</summary>
    Vqa,
    /// <summary>gRPC mustafar.vqa.v1.VisualQuestionAnswering/Ask, options in AskOptions.</summary>
    Grpc,
}
