using Grpc.Core;
using Mustafar.Gateway.Api;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Tests.Units;

public sealed class ErrorMappingTests
{
    [Theory]
    [InlineData(StatusCode.InvalidArgument, 400, "invalid_request_error")]
    [InlineData(StatusCode.ResourceExhausted, 429, "rate_limit_error")]
    [InlineData(StatusCode.Unavailable, 503, "service_unavailable_error")]
    [InlineData(StatusCode.DeadlineExceeded, 504, "timeout_error")]
    [InlineData(StatusCode.NotFound, 404, "invalid_request_error")]
    [InlineData(StatusCode.Unauthenticated, 401, "authentication_error")]
    [InlineData(StatusCode.Internal, 502, "server_error")]
    public void Service_statuses_map_to_http(StatusCode status, int http, string type)
    {
        var error = ErrorMapping.From(new RpcException(new Status(status, "detail")));
        Assert.Equal(http, error.HttpStatus);
        Assert.Equal(type, ErrorMapping.OpenAiType(error.Kind));
    }

    [Fact]
    public void The_gateways_own_size_limit_is_413_but_a_services_full_queue_is_429()
    {
        var tooLarge = ErrorMapping.From(new InputTooLargeException("image", "too many pixels"));
        Assert.Equal(413, tooLarge.HttpStatus);
        Assert.Equal("image", tooLarge.Param);
        Assert.Equal(StatusCode.ResourceExhausted, ErrorMapping.GrpcStatus(tooLarge.Kind));
        Assert.Equal("image: too many pixels", ErrorMapping.GrpcMessage(tooLarge));
        Assert.Equal(429, ErrorMapping.From(new RpcException(new Status(StatusCode.ResourceExhausted, "queue full"))).HttpStatus);
    }

    [Fact]
    public void A_services_bad_input_keeps_its_field_and_its_size_limits_are_413()
    {
        var invalid = ErrorMapping.From(new RpcException(new Status(StatusCode.InvalidArgument, "sampling.top_p: 5 is outside (0, 1]"),
            new Metadata { { ErrorTrailers.Field, "sampling.top_p" } }));
        Assert.Equal((400, "sampling.top_p", "5 is outside (0, 1]", "invalid_value"), (invalid.HttpStatus, invalid.Param, invalid.Message, invalid.Code));

        var tooLarge = ErrorMapping.From(new RpcException(new Status(StatusCode.InvalidArgument, "image: is 5000x5000 pixels"),
            new Metadata { { ErrorTrailers.Field, "image" }, { ErrorTrailers.Kind, ErrorTrailers.TooLarge } }));
        Assert.Equal((413, "image", "too_large"), (tooLarge.HttpStatus, tooLarge.Param, tooLarge.Code));
        Assert.Equal(StatusCode.ResourceExhausted, ErrorMapping.GrpcStatus(tooLarge.Kind));
    }

    [Fact]
    public void Unexpected_exceptions_say_nothing_about_internals()
    {
        var error = ErrorMapping.From(new NullReferenceException("secret detail"));
        Assert.Equal(502, error.HttpStatus);
        Assert.DoesNotContain("secret", error.Message);
    }
}
