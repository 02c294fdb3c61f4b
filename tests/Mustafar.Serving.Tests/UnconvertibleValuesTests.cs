using Microsoft.Extensions.Configuration;
using Mustafar.ServiceDefaults;

namespace Mustafar.Serving.Tests;

/// <summary>
/// The start-up check of values that do not convert agrees with the configuration binder itself: it names a key
/// exactly when binding that value throws, so a bad value is reported with every other problem (exit code 2) instead
/// of crashing the process, and a good one is never refused. Where the binder silently leaves out a collection
/// element that does not convert, the check names it too: a setting must not be ignored without a word.
/// </summary>
public sealed class UnconvertibleValuesTests
{
    public enum Mode { Fast, Exact }

    public sealed class Inner
    {
        public int Depth { get; set; }
        public TimeSpan? Wait { get; set; }
    }

    public sealed class Sample
    {
        public int Count { get; set; }
        public int? Optional { get; set; }
        public long Big { get; set; }
        public ushort Port { get; set; }
        public double Ratio { get; set; }
        public float? Scale { get; set; }
        public bool Enabled { get; set; }
        public TimeSpan Timeout { get; set; }
        public Mode Kind { get; set; }
        public string? Text { get; set; }
        public Uri? Address { get; set; }
        public List<int> Sizes { get; set; } = [];
        public string[] Names { get; set; } = [];
        public Dictionary<string, Inner> Named { get; set; } = [];
        public Dictionary<int, string> ById { get; set; } = [];
        public Inner Nested { get; set; } = new();
        public int Computed => Count * 2;
        [ConfigurationKeyName("alias")] public long Renamed { get; set; }
    }

    public static TheoryData<string, string> Values => new()
    {
        { "Count", "abc" }, { "Count", "12" }, { "Count", " 12 " }, { "Count", "" }, { "Count", "1e3" }, { "Count", "99999999999" },
        { "Optional", "" }, { "Optional", "x" }, { "Optional", "-4" },
        { "Big", "9007199254740993" }, { "Big", "1.5" },
        { "Port", "70000" }, { "Port", "8080" },
        { "Ratio", "0.25" }, { "Ratio", "NaN" }, { "Ratio", "1,5" }, { "Ratio", "half" },
        { "Scale", "" }, { "Scale", "2" }, { "Scale", "two" },
        { "Enabled", "true" }, { "Enabled", "False" }, { "Enabled", "yes" }, { "Enabled", "1" },
        { "Timeout", "00:00:30" }, { "Timeout", "30" }, { "Timeout", "30s" }, { "Timeout", "-00:00:01" },
        { "Kind", "Exact" }, { "Kind", "exact" }, { "Kind", "1" }, { "Kind", "Slow" },
        { "Text", "anything at all" },
        { "Address", "http://127.0.0.1:80" }, { "Address", "not an address" },
        { "Sizes:0", "4" }, { "Names:0", "x" }, { "Named:a:Depth", "2" }, { "Named:d:Wait", "" }, { "ById:3", "three" },
        { "Nested:Depth", "-1" }, { "Nested:Depth", "minus one" }, { "Nested:Wait", "00:01:00" },
        { "Computed", "7" }, { "Computed", "seven" },
        { "alias", "5" }, { "alias", "five" }, { "Renamed", "five" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_key_is_named_exactly_when_the_binder_cannot_convert_its_value(string key, string value)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection([new($"Section:{key}", value)]).Build().GetSection("Section");

        Exception? binderError = null;
        try
        {
            section.Get<Sample>();
        }
        catch (InvalidOperationException error)
        {
            binderError = error;
        }
        var problems = UnconvertibleValues.In(section, typeof(Sample)).ToList();

        Assert.True((binderError is null) == (problems.Count == 0),
            $"binder: {binderError?.Message ?? "bound"}; check: {string.Join("; ", problems.Select(p => p.Problem))}");
        if (problems.Count == 0) return;
        var (named, problem) = Assert.Single(problems);
        Assert.Equal($"Section:{key}", named, ignoreCase: true);
        Assert.StartsWith(named, problem, StringComparison.Ordinal);
        // The rest of the section binds once the bad value is taken out.
        _ = UnconvertibleValues.Without(section, [named]).Get<Sample>();
    }

    [Fact]
    public void The_problem_says_what_the_value_must_be_and_quotes_it()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(
            [new("S:Count", "abc"), new("S:Kind", "Slow"), new("S:Timeout", "30s"), new("S:Enabled", "yes"), new("S:Ratio", "half")])
            .Build().GetSection("S");

        Assert.Equal(
            [
                "S:Count must be an integer from -2147483648 to 2147483647, not 'abc'",
                "S:Ratio must be a number, not 'half'",
                "S:Enabled must be true or false, not 'yes'",
                "S:Timeout must be a duration ([d.]hh:mm:ss[.fff]), not '30s'",
                "S:Kind must be one of Fast, Exact, not 'Slow'",
            ],
            UnconvertibleValues.In(section, typeof(Sample)).Select(value => value.Problem));
    }

    [Fact]
    public void A_collection_element_the_binder_would_silently_leave_out_is_named()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(
            [
                new("S:Sizes:0", "4"), new("S:Sizes:1", "four"),
                new("S:Named:a:Depth", "2"), new("S:Named:b:Depth", "deep"), new("S:Named:c:Wait", "soon"),
                new("S:ById:3", "three"), new("S:ById:three", "3"),
            ])
            .Build().GetSection("S");

        var bound = section.Get<Sample>()!;
        Assert.Equal([4], bound.Sizes);
        Assert.Equal(["a"], bound.Named.Keys);
        Assert.Equal([3], bound.ById.Keys);
        Assert.Equal(
            [
                "S:Sizes:1 must be an integer from -2147483648 to 2147483647, not 'four'",
                "S:Named:b:Depth must be an integer from -2147483648 to 2147483647, not 'deep'",
                "S:Named:c:Wait must be a duration ([d.]hh:mm:ss[.fff]), not 'soon'",
                "S:ById:three: the key 'three' must be an integer from -2147483648 to 2147483647",
            ],
            UnconvertibleValues.In(section, typeof(Sample)).Select(value => value.Problem));
    }
}
