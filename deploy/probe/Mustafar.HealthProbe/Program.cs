using Mustafar.HealthProbe;

// Usage: dotnet Mustafar.HealthProbe.dll URL [TIMEOUT_SECONDS]
// Exit codes: 0 healthy (2xx), 1 unhealthy (another status, no connection, timeout), 2 bad arguments.
return await Probe.RunAsync(args, Console.Out, Console.Error);
