namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>GET /v1/models.</summary>
public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}

/// <summary>One model: GET /v1/models/{id} and the entries of <see cref="ModelList"/>.</summary>
public sealed record ModelCard(string Id)
{
    public string Object => "model";
    public long Created => 0;
    public string OwnedBy => "mustafar";
}
