using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Mustafar.Tensors.Grpc;

/// <summary>
/// A request message that does not parse is the caller's error: INVALID_ARGUMENT naming the field when a string is
/// not UTF-8 (in the message and in the <see cref="ErrorTrailers.Field"/> trailer, as every other bad field), never
/// the UNKNOWN "Exception was thrown by handler." that Grpc.AspNetCore gives any exception thrown while it
/// deserializes (which happens before handlers and interceptors run, so only the marshaller can catch it).
/// </summary>
internal static class MalformedRequests
{
    /// <summary><paramref name="method"/> with a request deserializer that throws <see cref="RpcException"/> instead.</summary>
    public static Method<TRequest, TResponse> Refused<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class where TResponse : class
    {
        if (!typeof(IMessage).IsAssignableFrom(typeof(TRequest))) return method;
        var descriptor = ((IMessage)Activator.CreateInstance<TRequest>()).Descriptor;
        var inner = method.RequestMarshaller;
        var marshaller = Marshallers.Create(inner.ContextualSerializer, context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException error)
            {
                throw Error(descriptor, InvalidUtf8Field.Find(descriptor, context.PayloadAsReadOnlySequence()), error);
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    public static RpcException Error(MessageDescriptor descriptor, string? invalidUtf8Field, InvalidProtocolBufferException error)
    {
        if (invalidUtf8Field is null)
            return new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {descriptor.FullName} message: {error.Message}"));
        return new RpcException(
            new Status(StatusCode.InvalidArgument, $"{invalidUtf8Field}: is not valid UTF-8 (a string field of {descriptor.FullName})"),
            new Metadata { { ErrorTrailers.Field, invalidUtf8Field } });
    }
}
