using Mustafar.Gateway;
using Mustafar.Gateway.Api;

// Before anything rents from the shared array pool (see SharedArrayPoolLimit for why).
SharedArrayPoolLimit.Apply();

// Configuration: appsettings.json, then environment variables (MUSTAFAR__Gateway__..., MUSTAFAR__ReverseProxy__...),
// then the command line. See README.md in this folder for every option.
var app = GatewayApplication.Build(args);
await app.RunAsync();
