using System.Text;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>
/// The bad-input sweep: well over a hundred malformed requests across the gateway's HTTP API, its gRPC Ask and each
/// model service's gRPC API, against one mesh of real processes. Each case must get its exact status (HTTP status
/// with the OpenAI error's type, param and code; gRPC status with the field named), no message may leak internals,
/// and after each group the mesh must still give the same answer to a good request as before the sweep.
/// </summary>
public sealed class BadInputSweepTests(BadInputFixture fixture) : IClassFixture<BadInputFixture>
{
    public static TheoryData<string> GroupNames { get; } = [.. HttpCases.Groups.Keys.Concat(GrpcCases.Groups.Keys)];

    private static IEnumerable<BadInputCase> Cases(string group) =>
        HttpCases.Groups.TryGetValue(group, out var http) ? http() : GrpcCases.Groups[group]();

    [Theory]
    [MemberData(nameof(GroupNames))]
    public async Task Every_malformed_request_gets_its_exact_status_and_the_mesh_still_answers(string group)
    {
        var failures = new StringBuilder();
        var count = 0;
        foreach (var badCase in Cases(group))
        {
            count++;
            try
            {
                var actual = await badCase.Send(fixture);
                if (actual != badCase.Expected) failures.AppendLine($"- {badCase.Name}: expected {badCase.Expected}, got {actual}");
            }
            catch (Exception error)
            {
                failures.AppendLine($"- {badCase.Name}: {error.GetType().Name}: {error.Message}");
            }
        }
        Assert.True(failures.Length == 0, $"{group}: cases that did not get their expected outcome:\n{failures}");
        Assert.True(count >= 10, $"{group} has only {count} cases");
        await fixture.AssertStillAnswersAsync(group);
    }

    [Fact]
    public void The_sweep_sends_at_least_thirty_requests_over_http_and_grpc()
    {
        Assert.True(HttpCases.Groups.Values.Sum(g => g().Count()) >= 30);
        Assert.True(GrpcCases.Groups.Values.Sum(g => g().Count()) >= 30);
    }
}
