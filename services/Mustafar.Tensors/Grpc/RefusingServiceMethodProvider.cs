using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Mustafar.Tensors.Grpc;

/// <summary>
/// Discovers a service's methods as Grpc.AspNetCore's own provider does (the generated static <c>BindService</c>
/// named by <see cref="BindServiceMethodAttribute"/>, handlers bound to <typeparamref name="TService"/>'s methods by
/// name), but registers each method with <see cref="MalformedRequests.Refused{TRequest,TResponse}"/>'s marshaller.
/// It replaces the default provider (see <see cref="MalformedRequestsExtensions"/>): two providers would map every
/// method twice.
/// </summary>
internal sealed class RefusingServiceMethodProvider<TService> : IServiceMethodProvider<TService> where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var attribute = typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true);
        var bind = attribute?.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .FirstOrDefault(m => m.Name == attribute.BindMethodName && m.GetParameters() is [{ } binder, _] && binder.ParameterType == typeof(ServiceBinderBase));
        bind?.Invoke(null, [new Binder(context), null]);
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(MalformedRequests.Refused(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(MalformedRequests.Refused(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(MalformedRequests.Refused(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Bind<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(MalformedRequests.Refused(method), metadata, invoker);
        }

        /// <summary>An open-instance delegate to the service's method, and the endpoint metadata Grpc.AspNetCore gives
        /// it (the service's and the method's attributes).</summary>
        private static (TDelegate Invoker, List<object> Metadata) Bind<TDelegate>(string name, params Type[] parameters) where TDelegate : Delegate
        {
            var method = typeof(TService).GetMethod(name, parameters)
                ?? throw new InvalidOperationException($"{typeof(TService).Name} has no method {name} for its gRPC method");
            List<object> metadata = [.. typeof(TService).GetCustomAttributes(inherit: true), .. method.GetCustomAttributes(inherit: true)];
            return (method.CreateDelegate<TDelegate>(), metadata);
        }
    }
}
