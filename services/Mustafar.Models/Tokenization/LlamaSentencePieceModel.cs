using System.Text;
using Google.Protobuf;

namespace Mustafar.Models.Tokenization;

/// <summary>The kinds of SentencePiece pieces (sentencepiece_model.proto, ModelProto.SentencePiece.Type).</summary>
public enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry: the piece text ("▁" for a space), its score (BPE: the merge rank, negated) and kind.</summary>
public sealed record SentencePiece(string Piece, float Score, SentencePieceType Type);

/// <summary>
/// The part of a SentencePiece <c>tokenizer.model</c> (protobuf ModelProto) that a Llama tokenizer depends on:
/// the pieces with their kinds, the trainer's special ids and byte fallback, and the normalizer flags. Reading it
/// gives the streaming decoder each piece's kind (byte pieces, control tokens); writing it lets the tiny test
/// checkpoints ship a real, loadable tokenizer.model without the 500 KB Llama-2 file. Field numbers follow
/// sentencepiece_model.proto; unknown fields are skipped on read.
/// </summary>
public sealed record LlamaSentencePieceModel
{
    public const int ModelTypeUnigram = 1;
    public const int ModelTypeBpe = 2;

    public required IReadOnlyList<SentencePiece> Pieces { get; init; }
    public int ModelType { get; init; } = ModelTypeUnigram;
    public bool ByteFallback { get; init; }
    public int UnkId { get; init; }
    public int BosId { get; init; } = 1;
    public int EosId { get; init; } = 2;
    public int PadId { get; init; } = -1;
    public bool SplitDigits { get; init; }
    public bool TreatWhitespaceAsSuffix { get; init; }
    public string NormalizerName { get; init; } = "nmt_nfkc";
    public bool HasPrecompiledCharsMap { get; init; }
    public bool AddDummyPrefix { get; init; } = true;
    public bool RemoveExtraWhitespaces { get; init; } = true;
    public bool EscapeWhitespaces { get; init; } = true;

    public static LlamaSentencePieceModel Parse(byte[] bytes, string source)
    {
        try
        {
            var pieces = new List<SentencePiece>();
            var model = new LlamaSentencePieceModel { Pieces = pieces };
            var input = new CodedInputStream(bytes);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: pieces.Add(ParsePiece(input.ReadBytes())); break;
                    case 2: model = ParseTrainer(input.ReadBytes(), model); break;
                    case 3: model = ParseNormalizer(input.ReadBytes(), model); break;
                    default: input.SkipLastField(); break;
                }
            }
            if (pieces.Count == 0) throw new InvalidDataException($"{source}: the SentencePiece model has no pieces");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a SentencePiece model ({e.Message})", e);
        }
    }

    private static SentencePiece ParsePiece(ByteString bytes) =>
        ReadFields(bytes, new SentencePiece("", 0f, SentencePieceType.Normal), (field, input, piece) => field switch
        {
            1 => piece with { Piece = input.ReadString() },
            2 => piece with { Score = input.ReadFloat() },
            3 => piece with { Type = (SentencePieceType)input.ReadEnum() },
            _ => null,
        });

    private static LlamaSentencePieceModel ParseTrainer(ByteString bytes, LlamaSentencePieceModel model) =>
        ReadFields(bytes, model, (field, input, m) => field switch
        {
            3 => m with { ModelType = input.ReadEnum() },
            24 => m with { TreatWhitespaceAsSuffix = input.ReadBool() },
            25 => m with { SplitDigits = input.ReadBool() },
            35 => m with { ByteFallback = input.ReadBool() },
            40 => m with { UnkId = input.ReadInt32() },
            41 => m with { BosId = input.ReadInt32() },
            42 => m with { EosId = input.ReadInt32() },
            43 => m with { PadId = input.ReadInt32() },
            _ => null,
        });

    private static LlamaSentencePieceModel ParseNormalizer(ByteString bytes, LlamaSentencePieceModel model) =>
        ReadFields(bytes, model, (field, input, m) => field switch
        {
            1 => m with { NormalizerName = input.ReadString() },
            2 => m with { HasPrecompiledCharsMap = input.ReadBytes().Length > 0 },
            3 => m with { AddDummyPrefix = input.ReadBool() },
            4 => m with { RemoveExtraWhitespaces = input.ReadBool() },
            5 => m with { EscapeWhitespaces = input.ReadBool() },
            _ => null,
        });

    /// <summary>Folds a message's fields into <paramref name="value"/>; <paramref name="read"/> returns null for a
    /// field it does not know, which is skipped.</summary>
    private static T ReadFields<T>(ByteString bytes, T value, Func<int, CodedInputStream, T, T?> read) where T : class
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var next = read(WireFormat.GetTagFieldNumber(tag), input, value);
            if (next is null) input.SkipLastField();
            else value = next;
        }
        return value;
    }

    /// <summary>Serialises the model as a ModelProto that sentencepiece and Microsoft.ML.Tokenizers load.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        foreach (var piece in Pieces)
            WriteMessage(output, 1, o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(piece.Piece);
                o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(piece.Score);
                o.WriteTag(3, WireFormat.WireType.Varint); o.WriteEnum((int)piece.Type);
            });
        WriteMessage(output, 2, o =>
        {
            o.WriteTag(3, WireFormat.WireType.Varint); o.WriteEnum(ModelType);
            o.WriteTag(4, WireFormat.WireType.Varint); o.WriteInt32(Pieces.Count);
            o.WriteTag(24, WireFormat.WireType.Varint); o.WriteBool(TreatWhitespaceAsSuffix);
            o.WriteTag(25, WireFormat.WireType.Varint); o.WriteBool(SplitDigits);
            o.WriteTag(35, WireFormat.WireType.Varint); o.WriteBool(ByteFallback);
            o.WriteTag(40, WireFormat.WireType.Varint); o.WriteInt32(UnkId);
            o.WriteTag(41, WireFormat.WireType.Varint); o.WriteInt32(BosId);
            o.WriteTag(42, WireFormat.WireType.Varint); o.WriteInt32(EosId);
            o.WriteTag(43, WireFormat.WireType.Varint); o.WriteInt32(PadId);
        });
        WriteMessage(output, 3, o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(NormalizerName);
            o.WriteTag(3, WireFormat.WireType.Varint); o.WriteBool(AddDummyPrefix);
            o.WriteTag(4, WireFormat.WireType.Varint); o.WriteBool(RemoveExtraWhitespaces);
            o.WriteTag(5, WireFormat.WireType.Varint); o.WriteBool(EscapeWhitespaces);
        });
        output.Flush();
        return stream.ToArray();
    }

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> write)
    {
        using var inner = new MemoryStream();
        var nested = new CodedOutputStream(inner);
        write(nested);
        nested.Flush();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(inner.ToArray()));
    }

    /// <summary>The byte a byte-fallback piece ("&lt;0x0A&gt;") stands for.</summary>
    public static byte ByteOf(SentencePiece piece)
    {
        var text = piece.Piece;
        if (piece.Type != SentencePieceType.Byte || text.Length != 6 || !text.StartsWith("<0x", StringComparison.Ordinal) || text[^1] != '>')
            throw new InvalidDataException($"'{text}' is not a byte piece");
        return Convert.ToByte(text.Substring(3, 2), 16);
    }

    /// <summary>The UTF-8 text bytes a normal piece decodes to: "▁" becomes a space.</summary>
    public static byte[] TextBytesOf(SentencePiece piece) => Encoding.UTF8.GetBytes(piece.Piece.Replace('\u2581', ' '));
}
