namespace Mustafar.Gateway.Pipeline;

/// <summary>Who said a turn of the conversation.</summary>
public enum Speaker
{
    System,
    User,
    Assistant,
}

/// <summary>One turn of the conversation the generator continues.</summary>
public sealed record ConversationTurn(Speaker Speaker, string Text);

public static class Conversation
{
    /// <summary>The conversation of a single question: the optional system line, then the user's question.</summary>
    public static List<ConversationTurn> SingleQuestion(string question, string? systemPrompt)
    {
        var turns = new List<ConversationTurn>();
        if (!string.IsNullOrEmpty(systemPrompt)) turns.Add(new ConversationTurn(Speaker.System, systemPrompt));
        turns.Add(new ConversationTurn(Speaker.User, question));
        return turns;
    }
}
