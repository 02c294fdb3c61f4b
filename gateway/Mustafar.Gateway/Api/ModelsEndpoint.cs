using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api.OpenAi;
using Mustafar.Gateway.Pipeline;

namespace Mustafar.Gateway.Api;

/// <summary>GET /v1/models and GET /v1/models/{id}: the one model this gateway serves.</summary>
public sealed class ModelsEndpoint(VqaPipeline pipeline)
{
    public async Task ListAsync(HttpContext context)
    {
        if (await ModelOrErrorAsync(context) is not { } model) return;
        await context.Response.WriteAsJsonAsync(new ModelList([new ModelCard(model)]), ApiJsonContext.Default.ModelList, cancellationToken: context.RequestAborted);
    }

    public async Task GetAsync(HttpContext context, string id)
    {
        if (await ModelOrErrorAsync(context) is not { } model) return;
        if (id != model)
        {
            await ErrorResponses.WriteAsync(context, new GatewayError(ErrorKind.NotFound,
                $"the model '{id}' does not exist; this gateway serves '{model}'", "model", "model_not_found"));
            return;
        }
        await context.Response.WriteAsJsonAsync(new ModelCard(model), ApiJsonContext.Default.ModelCard, cancellationToken: context.RequestAborted);
    }

    private async Task<string?> ModelOrErrorAsync(HttpContext context)
    {
        try
        {
            return await pipeline.PublicModelIdAsync(context.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            var mapped = ErrorMapping.From(error);
            await ErrorResponses.WriteAsync(context, mapped with { Message = "the generator pool cannot be asked for its model: " + mapped.Message });
            return null;
        }
    }
}
