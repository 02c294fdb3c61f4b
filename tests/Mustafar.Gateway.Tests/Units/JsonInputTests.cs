using System.Text.Json;
using Mustafar.Gateway.Api;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Tests.Units;

public sealed class JsonInputTests
{
    private static GatewayException Invalid(string json)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, ApiJsonContext.Default.ChatCompletionRequest));
        return JsonInput.Invalid(error, "test body");
    }

    [Theory]
    [InlineData("""{"max_tokens": 1099511627776}""", "max_tokens", "max_tokens must be an integer from -2147483648 to 2147483647")]
    [InlineData("""{"mustafar": {"seed": -1}}""", "mustafar.seed", "mustafar.seed must be an integer from 0 to 18446744073709551615")]
    [InlineData("""{"model": "\ud800"}""", "model", "model must be a string of well-formed UTF-16 (no unpaired surrogate escape)")]
    [InlineData("""{"messages": {}}""", "messages", "messages must be an array")]
    [InlineData("""[]""", null, "the body must be an object")]
    public void A_value_the_serializer_refuses_names_the_field_and_what_it_must_be(string json, string? param, string detail)
    {
        var error = Invalid(json);
        Assert.Equal((ErrorKind.InvalidInput, param, "invalid_json"), (error.Kind, error.Param, error.Code));
        Assert.Equal("the body is not a valid test body: " + detail, error.Message);
    }

    [Fact]
    public void An_unpaired_surrogate_in_a_json_string_is_bad_input()
    {
        using var document = JsonDocument.Parse("""["ok \ud83d\ude00", "bad \udc00"]""");
        Assert.Equal("ok 😀", JsonInput.Text(document.RootElement[0], "a"));
        var error = Assert.Throws<InvalidInputException>(() => JsonInput.Text(document.RootElement[1], "b"));
        Assert.Equal("b", error.Field);
    }
}
