using System.Reflection;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Mustafar.Serving;

/// <summary>The full proto name of a gRPC service implementation ("mustafar.clip.v1.ClipEncoder"), the name
/// health checks use.</summary>
internal sealed record GrpcServiceName(string FullName)
{
    /// <summary>Reads the name from the generated base class of <paramref name="implementation"/>.</summary>
    public static GrpcServiceName Of(Type implementation)
    {
        for (var type = implementation; type is not null; type = type.BaseType)
        {
            var bind = type.GetCustomAttribute<BindServiceMethodAttribute>();
            var descriptor = bind?.BindType.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null);
            if (descriptor is ServiceDescriptor service) return new GrpcServiceName(service.FullName);
        }
        throw new ArgumentException($"{implementation.Name} does not derive from a generated gRPC service base class", nameof(implementation));
    }
}
