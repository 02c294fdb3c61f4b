using Mustafar.Gateway;

// Configuration: appsettings.json, then environment variables (MUSTAFAR__Gateway__..., MUSTAFAR__ReverseProxy__...),
// then the command line. See README.md in this folder for every option.
var app = GatewayApplication.Build(args);
await app.RunAsync();
