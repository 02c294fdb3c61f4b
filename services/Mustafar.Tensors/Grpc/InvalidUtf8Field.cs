using System.Buffers;
using System.Text.Unicode;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Mustafar.Tensors.Grpc;

/// <summary>
/// Finds the string field whose bytes are not UTF-8 in a serialized message. Google.Protobuf refuses such a message
/// with "String is invalid UTF-8." and no field name; this walks the wire format again, against the message's
/// descriptor, to name the field (as a path, "messages[1].text") so that the caller learns what to fix. Only run on
/// a message that has already failed to parse, so its cost (a copy of the payload) is paid by bad requests only.
/// </summary>
internal static class InvalidUtf8Field
{
    /// <returns>The field's path, or null when every string field is UTF-8 (the message is malformed otherwise).</returns>
    public static string? Find(MessageDescriptor descriptor, ReadOnlySequence<byte> payload)
    {
        try
        {
            return Walk(descriptor, new CodedInputStream(payload.ToArray()), prefix: "", depth: 0);
        }
        catch (InvalidProtocolBufferException)
        {
            return null; // broken before any bad string: not a UTF-8 problem
        }
    }

    /// <summary>Protobuf's own default recursion limit: deeper nesting fails the parse before strings matter.</summary>
    private const int MaxDepth = 100;

    private static string? Walk(MessageDescriptor descriptor, CodedInputStream input, string prefix, int depth)
    {
        if (depth > MaxDepth) return null;
        var seen = new Dictionary<int, int>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = descriptor.FindFieldByNumber(WireFormat.GetTagFieldNumber(tag));
            if (field is null || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited
                || field.FieldType is not (FieldType.String or FieldType.Message))
            {
                input.SkipLastField();
                continue;
            }
            var path = Path(prefix, field, seen);
            var bytes = input.ReadBytes();
            if (field.FieldType == FieldType.String)
            {
                if (!Utf8.IsValid(bytes.Span)) return path;
            }
            else if (Walk(field.MessageType, new CodedInputStream(bytes.ToByteArray()), path, depth + 1) is { } inner)
            {
                return inner;
            }
        }
        return null;
    }

    private static string Path(string prefix, FieldDescriptor field, Dictionary<int, int> seen)
    {
        var name = prefix.Length == 0 ? field.Name : $"{prefix}.{field.Name}";
        if (!field.IsRepeated || field.IsMap) return name;
        seen.TryGetValue(field.FieldNumber, out var index);
        seen[field.FieldNumber] = index + 1;
        return $"{name}[{index}]";
    }
}
