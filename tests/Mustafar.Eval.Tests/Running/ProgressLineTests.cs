using Mustafar.Eval.Running;

namespace Mustafar.Eval.Tests.Running;

public sealed class ProgressLineTests
{
    [Fact]
    public void Shows_count_percentage_throughput_and_eta()
    {
        var line = new ProgressLine(TextWriter.Null, "gqa [s4]", 500, redraw: false);
        Assert.Equal("gqa [s4] 120/500 24% 3.0 items/s ETA 2m06s", line.Describe(120, TimeSpan.FromSeconds(40)));
        Assert.Equal("gqa [s4] 0/500 0% 0.0 items/s ETA ?", line.Describe(0, TimeSpan.Zero));
    }

    [Fact]
    public void Into_a_log_it_writes_a_line_per_tenth_not_per_item()
    {
        var output = new StringWriter();
        var line = new ProgressLine(output, "x", 100, redraw: false);
        for (var i = 0; i < 100; i++) line.Advance();
        Assert.Equal(11, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
