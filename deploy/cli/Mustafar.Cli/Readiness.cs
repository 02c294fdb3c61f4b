namespace Mustafar.Cli;

/// <summary>Polls readiness URLs until all answer 200, printing which one is still waiting.</summary>
public static class Readiness
{
    public static async Task<int> RunAsync(CommandLine line)
    {
        if (line.Positional.Count == 0) throw new UsageException("wait-ready needs at least one URL");
        var deadline = DateTime.UtcNow.AddSeconds(line.Int("timeout", 180));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var pending = new List<string>(line.Positional);
        while (pending.Count > 0)
        {
            foreach (var url in pending.ToList())
            {
                try
                {
                    using var response = await http.GetAsync(url);
                    if (response.IsSuccessStatusCode) pending.Remove(url);
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
            }
            if (pending.Count == 0) break;
            if (DateTime.UtcNow > deadline)
            {
                Console.Error.WriteLine($"mustafar: not ready in time: {string.Join(", ", pending)}");
                return 1;
            }
            await Task.Delay(250);
        }
        return 0;
    }
}
