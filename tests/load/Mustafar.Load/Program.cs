using Mustafar.Load.Engine;
using Mustafar.Load.Reporting;
using Mustafar.Load.Scenario;

namespace Mustafar.Load;

/// <summary>
/// mustafar load test. Exit codes: 0 every measured request succeeded, 1 some failed (the table lists them by
/// code), 2 bad options. Ctrl+C cancels the requests in flight and still reports.
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: Mustafar.Load [--scenario FILE.json] [--json OUT.json] [--records] [--OPTION VALUE ...]

        Options (also the fields of a scenario file; the command line wins):
          --gateway URL            the gateway's HTTP address (chat, chat-stream)
          --gateway-grpc URL       the gateway's gRPC address (ask, clip; diffusion unless --diffusion-grpc)
          --diffusion-grpc URL     a diffusion encoder's own gRPC address
          --mix KINDS              chat, chat-stream, ask, clip, diffusion with weights: chat=2,ask=1 (default chat,chat-stream,ask)
          --mode closed|open       fixed concurrency or fixed arrival rate (default closed)
          --concurrency N          closed loop: requests in flight (default 4)
          --rate R                 open loop: requests per second (default 2)
          --duration D             how long to send: 30s, 2m, 500ms (default 30s; 0: no limit)
          --requests N             how many requests to send (default 0: no limit)
          --warmup N               requests sent first and left out of the figures (default 0)
          --repeat-share F         share of requests using a repeated image (cache hits) (default 0.5)
          --repeated-images N      distinct repeated images (default 4)
          --image FILE.png         the picture every image is made from (default deploy/sample/still-life.png)
          --question TEXT          the question asked (default "What is on the table?")
          --max-tokens N           tokens per answer (default 8)
          --banned-tokens IDS      token ids no answer may contain (logit_bias -100), e.g. the model's EOS ids so that
                                   every answer is --max-tokens long (vLLM's --ignore-eos)
          --timeout D              per-request timeout / gRPC deadline (default 60s)
          --max-in-flight N        open loop: in-flight cap of the client (default 512)
          --seed N                 seeds the choice of kinds and images (default 1)
          --api-key KEY            the gateway's API key, if it requires one
        """;

    public static async Task<int> Main(string[] args)
    {
        string? jsonOut;
        bool records;
        LoadScenario scenario;
        try
        {
            var (scenarioFile, options, flags) = Arguments.Parse(args);
            if (flags.Contains("help"))
            {
                Console.WriteLine(Usage);
                return 0;
            }
            jsonOut = options.Remove("json", out var json) ? json : null;
            records = flags.Remove("records");
            if (flags.Count > 0) throw new FormatException($"unknown switch(es): {string.Join(", ", flags.Select(f => "--" + f))}");
            scenario = ScenarioReader.Read(scenarioFile, options);
        }
        catch (Exception error) when (error is FormatException or IOException)
        {
            await Console.Error.WriteLineAsync(error.Message).ConfigureAwait(false);
            await Console.Error.WriteLineAsync("(--help lists the options)").ConfigureAwait(false);
            return 2;
        }

        using var abort = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            abort.Cancel();
        };
        var run = LoadRun.Start(scenario, abort: abort.Token);
        var report = await run.Completion.ConfigureAwait(false);

        Console.Write(ReportTable.Format(report));
        if (jsonOut is not null) await File.WriteAllTextAsync(jsonOut, ReportJson.Serialize(report, records)).ConfigureAwait(false);
        return report.Errors == 0 && report.WarmupErrors == 0 ? 0 : 1;
    }
}
