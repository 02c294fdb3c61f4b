using Microsoft.AspNetCore.Builder;
using Mustafar.ServiceDefaults;

namespace Mustafar.Gateway;

/// <summary>Builds the gateway: services from configuration, then the middleware and endpoints. Program.cs runs it;
/// tests and benchmarks build it with their own configuration (a destination is just an address, so a test server
/// or a real service can stand behind any pool).</summary>
public static class GatewayApplication
{
    /// <summary>The gateway as Program.cs runs it: appsettings.json from beside the binary, wherever it is started
    /// from, unless <c>--contentRoot</c> names another folder (as for the model hosts).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null) =>
        Build(new WebApplicationOptions { Args = args, ContentRootPath = HostContentRoot.Default(args) }, configure);

    /// <param name="configure">Runs after the standard configuration sources are in place and before any service is
    /// registered: add configuration sources or services there.</param>
    public static WebApplication Build(WebApplicationOptions applicationOptions, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(applicationOptions);
        builder.Configuration.AddEnvironmentVariables(MustafarEnvironment.Prefix); // MUSTAFAR__Gateway__Cache__Redis
        if (applicationOptions.Args is { Length: > 0 } args) builder.Configuration.AddCommandLine(args); // the command line still wins
        configure?.Invoke(builder);
        GatewayServices.Add(builder);

        var app = builder.Build();
        // Before the routes are mapped: YARP loads its clusters there, and a bad address must be reported with every
        // other problem (exit code 2), not as YARP's first exception.
        app.Services.ValidateOptionsNow();
        GatewayEndpoints.Map(app);
        return app;
    }
}
