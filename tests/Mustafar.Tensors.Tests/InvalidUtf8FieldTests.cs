using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Tensors.Grpc;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Tensors.Tests;

/// <summary>Naming the string field that holds bytes which are not UTF-8, in messages Google.Protobuf refuses.</summary>
public sealed class InvalidUtf8FieldTests
{
    private static readonly byte[] NotUtf8 = [0x57, 0xC3, 0x28];

    private static byte[] LengthDelimited(int field, byte[] value) => [(byte)(field << 3 | 2), (byte)value.Length, .. value];

    [Fact]
    public void A_top_level_string_is_named()
    {
        byte[] message = [.. new AskRequest { Question = "ok" }.ToByteArray(), .. LengthDelimited(2, NotUtf8)];
        Assert.Throws<InvalidProtocolBufferException>(() => AskRequest.Parser.ParseFrom(message));
        Assert.Equal("question", InvalidUtf8Field.Find(AskRequest.Descriptor, new ReadOnlySequence<byte>(message)));
    }

    [Fact]
    public void A_string_in_a_nested_message_of_a_repeated_field_is_named_with_its_index()
    {
        var good = new GenerateRequest { Messages = { new ChatMessage { Role = Role.User, Content = "a" }, new ChatMessage { Role = Role.User, Content = "b" } } };
        byte[] message = [.. good.ToByteArray(), .. LengthDelimited(2, [0x08, 0x02, .. LengthDelimited(2, NotUtf8)])];
        Assert.Equal("messages[2].content", InvalidUtf8Field.Find(GenerateRequest.Descriptor, new ReadOnlySequence<byte>(message)));
    }

    [Fact]
    public void A_message_broken_otherwise_names_no_field_and_is_invalid_argument()
    {
        byte[] message = [.. new AskRequest { Question = "ok" }.ToByteArray(), 0x12, 0x7F, 0x57];
        var error = Assert.Throws<InvalidProtocolBufferException>(() => AskRequest.Parser.ParseFrom(message));
        Assert.Null(InvalidUtf8Field.Find(AskRequest.Descriptor, new ReadOnlySequence<byte>(message)));
        var status = MalformedRequests.Error(AskRequest.Descriptor, null, error).Status;
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("mustafar.vqa.v1.AskRequest", status.Detail, StringComparison.Ordinal);
    }
}
