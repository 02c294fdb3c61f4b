using System.Reflection;
using Google.Protobuf.Reflection;
using Grpc.Reflection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Api;

/// <summary>
/// gRPC reflection on the gateway describes every service a client can call there: its own (VisualQuestionAnswering,
/// health, reflection) and the pools' services that the YARP routes forward (ClipEncoder, DiffusionEncoder,
/// Generator). grpc-dotnet's reflection lists only the services mapped in this process, so grpcurl through the
/// gateway answered "Symbol not found" for the proxied ones and needed the .proto files.
/// </summary>
public static class GatewayReflection
{
    /// <summary>Replaces the descriptors that AddGrpcReflection found (v1 and v1alpha) with <see cref="Services"/>.</summary>
    public static void Add(IServiceCollection services)
    {
        services.AddGrpcReflection();
        var descriptors = Services();
        services.Replace(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(new ReflectionServiceImpl(descriptors)));
        services.Replace(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(new ReflectionV1ServiceImpl(descriptors)));
    }

    /// <summary>Every service of every Mustafar proto, and the standard services the gateway serves.</summary>
    public static IReadOnlyList<Google.Protobuf.Reflection.ServiceDescriptor> Services() =>
    [
        .. ProtoFiles().SelectMany(file => file.Services),
        Grpc.Health.V1.Health.Descriptor,
        Grpc.Reflection.V1Alpha.ServerReflection.Descriptor,
        Grpc.Reflection.V1.ServerReflection.Descriptor,
    ];

    /// <summary>The file descriptors protoc generated into Mustafar.Protos (one static "...Reflection" class per
    /// .proto file), so a new proto is served without being listed here.</summary>
    private static IEnumerable<FileDescriptor> ProtoFiles() =>
        typeof(VisualQuestionAnswering).Assembly.GetTypes()
            .Where(type => type is { IsAbstract: true, IsSealed: true } && type.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(type => type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
            .OfType<FileDescriptor>()
            .OrderBy(file => file.Name, StringComparer.Ordinal);
}
