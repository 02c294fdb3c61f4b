using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Mustafar.Gateway.Clients;

namespace Mustafar.Gateway.Tests;

/// <summary>The gateway's cached generator model info (fetched over loopback from the test generator) is dropped
/// exactly by the failures that say the model may have changed, so the next request fetches it again; other
/// failures keep it.</summary>
public sealed class ModelInfoTrustTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    public static TheoryData<string, bool> Failures => new()
    {
        { "bad-upstream", true },
        { "invalid-argument", true },
        { "unavailable", false },
        { "overloaded", false },
        { "cancelled", false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Only_a_failure_that_contradicts_the_info_makes_the_next_request_fetch_it_again(string failure, bool drops)
    {
        var info = fixture.Mesh.Gateway.Services.GetRequiredService<GeneratorClient>().Info;
        var before = await info.GetAsync(CancellationToken.None);
        Assert.Same(before, await info.GetAsync(CancellationToken.None)); // cached

        Exception error = failure switch
        {
            "bad-upstream" => new GatewayException(ErrorKind.BadUpstream, "the clip encoder returned [2, 3], not [4, 8]"),
            "invalid-argument" => new RpcException(new Status(StatusCode.InvalidArgument, "features: unknown feature 'x'")),
            "unavailable" => new RpcException(new Status(StatusCode.Unavailable, "no destination")),
            "overloaded" => new GatewayException(ErrorKind.Overloaded, "queue full"),
            _ => new OperationCanceledException(),
        };
        info.DropIfContradicted(error);
        var after = await info.GetAsync(CancellationToken.None);

        Assert.Equal(drops, !ReferenceEquals(before, after));
        Assert.Equal(before, after); // the same model, fetched again or not
    }
}
