namespace Mustafar.Eval.Readers;

/// <summary>The answer instructions LLaVA-1.5's evaluation (and lmms-eval's llava defaults) append to questions, so a
/// checkpoint trained on LLaVA's data answers in the form the scorer expects.</summary>
public static class Prompts
{
    public const string ShortAnswer = "\nAnswer the question using a single word or phrase.";

    public const string OptionLetter = "\nAnswer with the option's letter from the given choices directly.";

    /// <summary>The question with the instruction (--prompt-suffix, else the format's), unless the file's question
    /// already ends with it (LLaVA's own question files carry it).</summary>
    public static string Append(string question, ReaderOptions options, string formatDefault)
    {
        var suffix = options.PromptSuffix ?? formatDefault;
        return question.EndsWith(suffix, StringComparison.Ordinal) ? question : question + suffix;
    }
}
