using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Mustafar.ServiceDefaults;

/// <summary>Where every process of the mesh reads its appsettings.json from.</summary>
public static class HostContentRoot
{
    /// <summary>
    /// The folder of the process's binary, so that its appsettings.json applies wherever the process is started from
    /// (ASP.NET Core's default is the working directory); null when the command line (<c>--contentRoot</c>) or the
    /// environment names a content root, which then wins.
    /// </summary>
    public static string? Default(string[] args)
    {
        var named = new ConfigurationBuilder().AddCommandLine(args).Build()[HostDefaults.ContentRootKey]
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") ?? Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT");
        return named is null ? AppContext.BaseDirectory : null;
    }
}
