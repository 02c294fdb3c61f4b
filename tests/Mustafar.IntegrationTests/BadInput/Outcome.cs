using Grpc.Core;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>
/// What a request got back, in one comparable shape: HTTP status with the OpenAI error's type, param and code, or
/// a gRPC status with the field it names (the message's "field: " prefix, which must equal the mustafar-field
/// trailer). Successes are "200" / "OK" with nothing else.
/// </summary>
public sealed record Outcome(string Status, string? Param = null, string? Type = null, string? Code = null)
{
    public static Outcome Http(int status, string? param, string type, string code) => new(status.ToString(System.Globalization.CultureInfo.InvariantCulture), param, type, code);

    /// <summary>400 invalid_request_error.</summary>
    public static Outcome Http400(string? param, string code = "invalid_value") => Http(400, param, "invalid_request_error", code);

    /// <summary>413 invalid_request_error too_large (a size limit of the gateway or a service).</summary>
    public static Outcome Http413(string? param, string code = "too_large") => Http(413, param, "invalid_request_error", code);

    public static Outcome HttpOk { get; } = new("200");

    public static Outcome Grpc(StatusCode status, string? field = null) => new(status.ToString(), field);

    public static Outcome GrpcOk { get; } = new(nameof(StatusCode.OK));

    public override string ToString() => string.Join(' ', new[] { Status, Param, Type, Code }.Where(p => p is not null));
}
