using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Mustafar.Tensors.Grpc;

/// <summary>Registration of <see cref="MalformedRequests"/> for every gRPC service of a host (its own, health and reflection).</summary>
public static class MalformedRequestsExtensions
{
    /// <summary>Call after <c>AddGrpc</c>: replaces Grpc.AspNetCore's method provider with <see cref="RefusingServiceMethodProvider{TService}"/>.</summary>
    public static IGrpcServerBuilder RefuseMalformedRequests(this IGrpcServerBuilder builder)
    {
        var services = builder.Services;
        var defaults = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType is { Name: "BinderServiceMethodProvider`1" }).ToList();
        if (defaults.Count == 0)
            throw new InvalidOperationException("Grpc.AspNetCore's BinderServiceMethodProvider is not registered: call AddGrpc first (or it was renamed)");
        foreach (var descriptor in defaults) services.Remove(descriptor);
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(RefusingServiceMethodProvider<>));
        return builder;
    }
}
