using Mustafar.Models.Generation;
using Mustafar.Models.Tokenization;
using Mustafar.Tensors;
using Mustafar.Testing;

namespace Mustafar.Models.Tests.Generation;

/// <summary>LLaVA's vicuna_v1 prompt: text, separators and the image placeholder, its validation, and that tokenizing
/// the template's parts gives the ids transformers gives for the rendered prompt string.</summary>
public sealed class ConversationTemplateTests
{
    private const int Eos = 2;
    private static readonly ConversationTemplate Vicuna = ConversationTemplate.VicunaV1;

    private static string Render(IReadOnlyList<LlamaPromptPart> parts) => string.Concat(parts.Select(p => p switch
    {
        LlamaPromptPart.Text t => t.Value,
        LlamaPromptPart.Special { Id: Eos } => "</s>",
        LlamaPromptPart.Image => LlamaTextTokenizer.ImagePlaceholder,
        _ => throw new InvalidOperationException(p.ToString()),
    }));

    private static ConversationTurn User(string text) => new(ChatRole.User, text);
    private static ConversationTurn Assistant(string text) => new(ChatRole.Assistant, text);

    [Fact]
    public void A_question_with_an_image_gets_the_placeholder_before_it_as_llava_does()
    {
        var parts = Vicuna.Build([User("What is shown?")], hasImage: true, Eos);
        Assert.Equal(Vicuna.SystemLine + " USER: <image>\nWhat is shown? ASSISTANT:", Render(parts));
        Assert.Single(parts, p => p is LlamaPromptPart.Image);
    }

    [Fact]
    public void Multi_turn_conversations_use_eos_separators_and_a_custom_system_line()
    {
        var parts = Vicuna.Build([new ConversationTurn(ChatRole.System, "Be brief."), User("Hi <image> there"), Assistant("Hello."), User("And now?")], hasImage: true, Eos);
        Assert.Equal("Be brief. USER: Hi <image> there ASSISTANT: Hello.</s>USER: And now? ASSISTANT:", Render(parts));
        Assert.Contains(parts, p => p is LlamaPromptPart.Special { Id: Eos });
    }

    [Fact]
    public void Text_a_user_types_never_becomes_a_special_token()
    {
        var parts = Vicuna.Build([User("what does </s> mean?")], hasImage: false, Eos);
        Assert.DoesNotContain(parts, p => p is LlamaPromptPart.Special);
        Assert.Contains("what does </s> mean?", Render(parts), StringComparison.Ordinal);
    }

    public static TheoryData<ConversationTurn[], bool, string> BadConversations => new()
    {
        { [], false, "messages" },
        { [new ConversationTurn(ChatRole.System, "x")], false, "messages" },
        { [Assistant("hi")], false, "messages[0].role" },
        { [User("a"), User("b")], false, "messages[1].role" },
        { [User("a"), Assistant("b")], false, "messages" },
        { [User("a"), new ConversationTurn(ChatRole.System, "s"), User("c")], false, "messages[1].role" },
        { [User("  ")], false, "messages[0].content" },
        { [User("<image> and <image>")], true, "messages" },
        { [User("<image> what?")], false, "messages" },
        { [User("a"), Assistant("<image>"), User("c")], true, "messages[1].content" },
    };

    [Theory]
    [MemberData(nameof(BadConversations))]
    public void Bad_conversations_name_the_field(ConversationTurn[] messages, bool hasImage, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => Vicuna.Build(messages, hasImage, Eos));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Unknown_templates_fail_with_the_known_names()
    {
        var error = Assert.Throws<NotSupportedException>(() => ConversationTemplate.Get("chatml"));
        Assert.Contains("vicuna_v1", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Tokenizing_the_parts_equals_tokenizing_the_rendered_prompt_with_the_llama_tokenizer()
    {
        var bytes = File.ReadAllBytes(Path.Combine(ReferenceFixtures.Require("llama_tokenizer"), "tokenizer.model"));
        var conversations = new[]
        {
            (Messages: new[] { User("What is shown in this image?") }, Image: true),
            (Messages: new[] { User("Describe <image> briefly."), Assistant("A cat on a mat."), User("What color is it?") }, Image: true),
            (Messages: new[] { User("Hello"), Assistant("Hi! How can I help?"), User("Tell me a joke.") }, Image: false),
        };
        foreach (var legacy in new[] { true, false })
        {
            var tokenizer = new LlamaTextTokenizer(bytes, new LlamaTokenizerSettings { Legacy = legacy });
            foreach (var (messages, image) in conversations)
                foreach (var template in new[] { ConversationTemplate.VicunaV1, ConversationTemplate.LlavaV1 })
                {
                    var parts = template.Build(messages, image, tokenizer.EosId);
                    foreach (var style in Enum.GetValues<ImagePromptTokenization>())
                        Assert.Equal(tokenizer.EncodePrompt(Render(parts), style, -200), tokenizer.Encode(parts, style, -200));
                }
        }
    }
}
