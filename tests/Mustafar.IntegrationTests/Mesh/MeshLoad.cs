using Mustafar.Load.Engine;
using Mustafar.Load.Reporting;
using Mustafar.Load.Scenario;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>The load tool's engine aimed at a test mesh.</summary>
public static class MeshLoad
{
    /// <summary>A scenario against <paramref name="mesh"/>'s gateway (HTTP and gRPC) and its diffusion encoder
    /// directly, with the sample image; callers set the mix, mode and limits with <c>with</c>.</summary>
    public static LoadScenario Scenario(this LocalMesh mesh) => new()
    {
        Gateway = mesh.GatewayHttp,
        GatewayGrpc = mesh.GatewayGrpc,
        DiffusionGrpc = mesh.DiffusionGrpc,
        Image = SampleImages.StillLifePath,
        // Bounded so that a request the mesh loses shows up as an error instead of a hung test.
        Timeout = TimeSpan.FromSeconds(90),
    };

    /// <summary>The command-line form of the scenario's addresses, for running the tool as a process.</summary>
    public static IEnumerable<string> AddressArguments(this LocalMesh mesh) =>
    [
        "--gateway", mesh.GatewayHttp.ToString(), "--gateway-grpc", mesh.GatewayGrpc.ToString(),
        "--diffusion-grpc", mesh.DiffusionGrpc.ToString(), "--image", SampleImages.StillLifePath,
    ];

    /// <summary>Runs a scenario to its end in process, bounded by <paramref name="limit"/>.</summary>
    public static async Task<LoadReport> RunAsync(LoadScenario scenario, TimeSpan limit)
    {
        using var abort = new CancellationTokenSource();
        var run = LoadRun.Start(scenario, abort: abort.Token);
        try
        {
            return await run.Completion.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            await abort.CancelAsync();
            throw new TimeoutException($"the load run did not end within {limit}");
        }
    }
}
