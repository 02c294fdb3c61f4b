using Mustafar.CheckpointWriters;
using Mustafar.Models.Generation;
using Mustafar.Models.Tokenization;
using Mustafar.Train.Data;
using static TorchSharp.torch;

namespace Mustafar.Train.Tests;

public sealed class ConversationTokenizerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mustafar-train-tok-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_training_prompt_is_the_serving_prompt_and_only_answers_and_their_end_token_are_targets()
    {
        var paths = DemoCheckpoints.Ensure(_root).Paths;
        using var model = GeneratorModel.Load(paths.Generator);
        var tokenizer = LlamaTextTokenizer.Load(paths.Generator);
        var conversations = new ConversationTokenizer(tokenizer, model.Template, model.ImageTokenization, model.Config.ImageTokenId);
        var sample = new LlavaSample("s", "a.png", [
            new LlavaTurn("human", "<image>\nWhat colour is the circle?"), new LlavaTurn("gpt", "red"),
            new LlavaTurn("human", "How many squares are there?"), new LlavaTurn("gpt", "two")]);

        var sequence = conversations.Tokenize(sample);

        // What the generator tokenizes for the same history when serving (features only mark that an image is sent).
        using var clip = zeros(model.Fusion!.Clip.Tokens, model.Fusion.Clip.Channels);
        using var diffusion = zeros(model.Fusion.Diffusion!.Tokens, model.Fusion.Diffusion.Channels);
        var features = new Dictionary<string, Tensor> { ["clip"] = clip, ["diffusion"] = diffusion };
        var first = model.Prepare(new GenerationRequest { Messages = [new ConversationTurn(ChatRole.User, sample.Question)], Features = features }).PromptIds;
        var second = model.Prepare(new GenerationRequest
        {
            Messages = [new ConversationTurn(ChatRole.User, sample.Question), new ConversationTurn(ChatRole.Assistant, "red"), new ConversationTurn(ChatRole.User, "How many squares are there?")],
            Features = features,
        }).PromptIds;
        Assert.Equal(first, sequence.Ids.Take(first.Count));
        Assert.Equal(second, sequence.Ids.Take(second.Count));

        // Targets: the first answer from the end of the first prompt through its </s>, and the second likewise.
        var targets = Enumerable.Range(0, sequence.Ids.Length).Where(i => sequence.IsTarget[i]).ToList();
        var firstAnswer = Enumerable.Range(first.Count, sequence.Ids.Length - first.Count).TakeWhile(i => sequence.Ids[i - 1] != tokenizer.EosId || i == first.Count).ToList();
        Assert.Equal(tokenizer.EosId, sequence.Ids[firstAnswer[^1]]);
        Assert.Equal("red", tokenizer.Decode(firstAnswer.Select(i => sequence.Ids[i]).SkipLast(1)).Trim());
        var secondAnswer = Enumerable.Range(second.Count, sequence.Ids.Length - second.Count).ToList();
        Assert.Equal("two", tokenizer.Decode(secondAnswer.Select(i => sequence.Ids[i]).SkipLast(1)).Trim());
        Assert.Equal(tokenizer.EosId, sequence.Ids[^1]);
        Assert.Equal(firstAnswer.Concat(secondAnswer), targets);
        Assert.DoesNotContain(sequence.Ids.Select((id, i) => (id, i)), x => x.id == model.Config.ImageTokenId && sequence.IsTarget[x.i]);
    }
}
