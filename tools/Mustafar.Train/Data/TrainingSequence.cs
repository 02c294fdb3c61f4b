namespace Mustafar.Train.Data;

/// <summary>A tokenized training conversation: the token ids exactly as the generator would see them (the image as
/// its one placeholder id), and which positions are answer tokens the loss is taken on (LLaVA's label mask: system
/// prompt, user turns and the image are not).</summary>
/// <param name="Ids">Token ids, the image placeholder id where the image rows go.</param>
/// <param name="IsTarget">Per id: whether the model is trained to predict it (from the position before it).</param>
public sealed record TrainingSequence(string Id, int[] Ids, bool[] IsTarget, bool HasImage)
{
    /// <summary>Answer tokens in this sequence.</summary>
    public int TargetCount => IsTarget.Count(t => t);
}
