namespace Mustafar.Models.Generation;

/// <summary>Who wrote a conversation turn.</summary>
public enum ChatRole
{
    /// <summary>Replaces the template's system line.</summary>
    System,
    User,
    Assistant,
}

/// <summary>One conversation turn.</summary>
public sealed record ConversationTurn(ChatRole Role, string Content);
