using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mustafar.Serving.Tests.Host;
using Mustafar.ServiceDefaults;

namespace Mustafar.Serving.Tests;

public class OptionsTests
{
    [Fact]
    public void Option_keys_are_listed_in_one_place_with_their_environment_variable_names()
    {
        Assert.Contains("Mustafar:Model:Path", ServingOptionKeys.All);
        Assert.Contains("Mustafar:Model:Device", ServingOptionKeys.All);
        Assert.Contains("Mustafar:Model:DType", ServingOptionKeys.All);
        Assert.Contains("Mustafar:Model:IntraOpThreads", ServingOptionKeys.All);
        Assert.Contains("Mustafar:Batching:MaxBatchDelayMs", ServingOptionKeys.All);
        Assert.Contains("Mustafar:Server:MaxReceiveMessageBytes", ServingOptionKeys.All);
        Assert.Contains("Mustafar:Limits:MaxImagePixels", ServingOptionKeys.All);
        Assert.DoesNotContain(ServingOptionKeys.All, key => key.EndsWith(":MaxBatchDelay", StringComparison.Ordinal)); // computed, not bound
        Assert.Equal(ServingOptionKeys.All.Count, ServingOptionKeys.All.Distinct(StringComparer.OrdinalIgnoreCase).Count());

        Assert.Contains("MUSTAFAR__Model__Path", ServingOptionKeys.EnvironmentVariables);
        Assert.Contains("MUSTAFAR__Server__GrpcPort", ServingOptionKeys.EnvironmentVariables);
        Assert.True(ServingOptionKeys.IsKnownEnvironmentVariable("MUSTAFAR__MODEL__DEVICE"));
        Assert.False(ServingOptionKeys.IsKnownEnvironmentVariable("MUSTAFAR__Model__Devise"));
    }

    [Fact]
    public void Every_listed_key_binds_to_its_options_property()
    {
        // A key that binds nothing would let a deployment file set an option that is silently ignored.
        foreach (var (type, section) in ServingOptionKeys.Sections)
        {
            var keys = ServingOptionKeys.All.Where(k => k.StartsWith(section + ":", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(keys);
            foreach (var key in keys)
            {
                var property = type.GetProperty(key[(section.Length + 1)..])!;
                var sample = property.PropertyType == typeof(string) ? "sample" : property.PropertyType == typeof(bool) ? "True" : "7";
                var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, sample)]).Build();
                var bound = configuration.GetSection(section).Get(type)!;
                Assert.Equal(Convert.ChangeType(sample, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture),
                    property.GetValue(bound));
            }
        }
    }

    [Fact]
    public async Task Options_bind_from_appsettings_and_MUSTAFAR_environment_variables()
    {
        var folder = TestHost.NewCheckpointFolder();
        var json = Path.Combine(folder, "appsettings.test.json");
        await File.WriteAllTextAsync(json, """{ "Mustafar": { "Limits": { "MaxImageBytes": 1234 }, "Model": { "DType": "bfloat16" } } }""");
        // Limits nobody else reads, so that hosts of tests running in parallel are not affected.
        Environment.SetEnvironmentVariable("MUSTAFAR__Limits__MaxPromptChars", "777");
        Environment.SetEnvironmentVariable("MUSTAFAR__LIMITS__MAXNEWTOKENS", "99");
        try
        {
            await using var app = TestHost.Build(folder, null, new TestProbe(), builder => builder.Configuration.AddJsonFile(json));
            var limits = app.Services.GetRequiredService<IOptions<LimitsOptions>>().Value;
            Assert.Equal(777, limits.MaxPromptChars);
            Assert.Equal(99, limits.MaxNewTokens);
            Assert.Equal(1234, limits.MaxImageBytes);
            Assert.Equal("bfloat16", app.Services.GetRequiredService<IOptions<ModelOptions>>().Value.DType);
            Assert.Equal(folder, app.Services.GetRequiredService<IOptions<ModelOptions>>().Value.Path);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MUSTAFAR__Limits__MaxPromptChars", null);
            Environment.SetEnvironmentVariable("MUSTAFAR__LIMITS__MAXNEWTOKENS", null);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Invalid_configuration_stops_the_host_with_every_problem_named_by_its_key()
    {
        var folder = TestHost.NewCheckpointFolder();
        var settings = new Dictionary<string, string>
        {
            ["Model:Device"] = "gpu",
            ["Model:DType"] = "int8",
            ["Batching:MaxBatchSize"] = "0",
            ["Batching:QueueCapacity"] = "-1",
            ["Server:GrpcPort"] = "70000",
            ["Server:BindAddress"] = "not-an-address",
            ["Limits:MaxImagePixels"] = "0",
        };
        var error = Assert.ThrowsAny<Exception>(() => TestHost.Build(folder, settings, new TestProbe()));
        var failures = StartupValidation.ConfigurationErrors(error);

        Assert.NotNull(failures);
        Assert.Contains("Mustafar:Model:Device: device 'gpu' is not one of cpu, cuda, cuda:N", failures);
        Assert.Contains("Mustafar:Model:DType: dtype 'int8' is not one of float32, float16, bfloat16", failures);
        Assert.Contains("Mustafar:Batching:MaxBatchSize must be at least 1, not 0", failures);
        Assert.Contains("Mustafar:Batching:QueueCapacity must be at least 1, not -1", failures);
        Assert.Contains("Mustafar:Server:GrpcPort must be 0..65535, not 70000", failures);
        Assert.Contains(failures, f => f.StartsWith("Mustafar:Server:BindAddress 'not-an-address'", StringComparison.Ordinal));
        Assert.Contains("Mustafar:Limits:MaxImagePixels must be positive, not 0", failures);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void A_value_that_does_not_convert_is_named_with_every_other_problem_instead_of_crashing_the_host()
    {
        var folder = TestHost.NewCheckpointFolder();
        var settings = new Dictionary<string, string>
        {
            ["Limits:MaxImagePixels"] = "abc",
            ["Limits:MaxNewTokens"] = "0", // the same section: checked with the bad value left out
            ["Batching:MaxBatchSize"] = "0",
            ["Server:DrainTimeoutSeconds"] = "soon",
        };
        var error = Assert.ThrowsAny<Exception>(() => TestHost.Build(folder, settings, new TestProbe()));
        var failures = StartupValidation.ConfigurationErrors(error);

        Assert.True(failures is not null, error.ToString());
        Assert.Equal(
            [
                "Mustafar:Batching:MaxBatchSize must be at least 1, not 0",
                "Mustafar:Limits:MaxImagePixels must be an integer from -9223372036854775808 to 9223372036854775807, not 'abc'",
                "Mustafar:Limits:MaxNewTokens must be positive, not 0",
                "Mustafar:Server:DrainTimeoutSeconds must be a number, not 'soon'",
            ],
            failures.Order(StringComparer.Ordinal));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task A_missing_checkpoint_is_a_configuration_error_and_the_host_exits_with_2()
    {
        var missing = Path.Combine(Path.GetTempPath(), "mustafar-tests", "no-such-checkpoint-" + Guid.NewGuid().ToString("N"));
        var error = Assert.ThrowsAny<Exception>(() => TestHost.Build(missing, null, new TestProbe()));
        Assert.Equal([$"Mustafar:Model:Path '{missing}' does not exist"], StartupValidation.ConfigurationErrors(error));

        var probe = new TestProbe();
        var exitCode = await ServingHost.RunAsync<TestModelService, TinyMlp>(TestHost.Arguments("", null), TestHost.Loader(probe),
            TestHost.Configure(probe)).WaitAsync(TestHost.Patience);
        Assert.Equal(2, exitCode);
    }

    [Theory]
    [InlineData("/models/clip-vit-large-patch14-336/", "", "clip-vit-large-patch14-336")]
    [InlineData("/models/tiny.safetensors", "", "tiny.safetensors")]
    [InlineData("/models/x", " named ", "named")]
    public void The_model_id_defaults_to_the_checkpoint_name(string path, string id, string expected) =>
        Assert.Equal(expected, new ModelOptions { Path = path, Id = id }.ResolveId());
}
