using Mustafar.Gateway;
using Mustafar.Gateway.Api;
using Mustafar.ServiceDefaults;

// Before anything rents from the shared array pool (see SharedArrayPoolLimit for why).
SharedArrayPoolLimit.Apply();

// Configuration: appsettings.json, then environment variables (MUSTAFAR__Gateway__..., MUSTAFAR__ReverseProxy__...),
// then the command line. See README.md in this folder for every option.
// Invalid options stop the gateway with exit code 2 and every problem named.
return await StartupValidation.RunAsync(async () =>
{
    await GatewayApplication.Build(args).RunAsync();
    return 0;
});
