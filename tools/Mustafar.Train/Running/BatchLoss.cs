using Mustafar.Models.Generation;
using Mustafar.Torch;
using Mustafar.Train.Data;
using static TorchSharp.torch;

namespace Mustafar.Train.Running;

/// <summary>One training example ready for the forward: its tokens and targets, and its image's features.</summary>
public sealed record TrainingExample(TrainingSequence Sequence, Tensor? Clip, Tensor? Diffusion);

/// <summary>
/// The training forward over full padded sequences, through the generator's own modules: images projected with
/// <see cref="LlavaForConditionalGeneration.ProjectImages"/>, spliced with <see cref="LlavaForConditionalGeneration.EmbedPrompt"/>
/// exactly as when serving, right-padded, positions 0.. per sequence, one causal forward of the language model
/// without a cache. The loss is the summed next-token cross-entropy over target positions (image rows and masked
/// tokens excluded), so that gradient accumulation can divide by the whole step's target count.
/// </summary>
public static class BatchLoss
{
    public static (Tensor Sum, int Targets) Compute(LlavaForConditionalGeneration model, IReadOnlyList<TrainingExample> batch)
    {
        using var scope = NewDisposeScope();
        var fusion = model.Config.Fusion;
        var imageTokens = fusion?.ImageTokens ?? 0;
        var embedded = new List<Tensor>(batch.Count);
        var labels = new List<long[]>(batch.Count);
        var withImages = batch.Where(e => e.Sequence.HasImage).ToList();
        Tensor? images = null;
        if (withImages.Count > 0)
        {
            var clip = stack(withImages.Select(e => e.Clip ?? throw new ArgumentException($"sample {e.Sequence.Id}: no CLIP features")).ToArray());
            var diffusion = fusion!.Diffusion is null ? null
                : stack(withImages.Select(e => e.Diffusion ?? throw new ArgumentException($"sample {e.Sequence.Id}: no diffusion features")).ToArray());
            images = model.ProjectImages(clip, diffusion);
        }
        var imageIndex = 0;
        foreach (var example in batch)
        {
            var sequence = example.Sequence;
            var image = sequence.HasImage ? images![imageIndex++] : null;
            embedded.Add(model.EmbedPrompt(sequence.Ids, image));
            labels.Add(Labels(sequence, model.Config.ImageTokenId, imageTokens));
        }

        var length = embedded.Max(e => e.shape[0]);
        var hidden = embedded[0].shape[1];
        var device = embedded[0].device;
        var padded = stack(embedded.Select(e => e.shape[0] == length ? e
            : cat([e, zeros([length - e.shape[0], hidden], e.dtype, device)], 0)).ToArray());
        var valid = tensor(embedded.SelectMany(e => Enumerable.Range(0, (int)length).Select(i => i < e.shape[0])).ToArray(), [batch.Count, length], device: device);
        var positions = tensor(embedded.SelectMany(e => Enumerable.Range(0, (int)length).Select(i => i < e.shape[0] ? (long)i : 0L)).ToArray(), [batch.Count, length], device: device);
        var targets = tensor(labels.SelectMany(l => Enumerable.Range(0, (int)length).Select(i => i < l.Length ? l[i] : IgnoreIndex)).ToArray(), [batch.Count, length], device: device);

        var logits = model.LanguageModel.forward(padded, positions, valid);
        var vocab = logits.shape[2];
        var predicted = logits.narrow(1, 0, length - 1).reshape(-1, vocab);
        var next = targets.narrow(1, 1, length - 1).reshape(-1);
        var sum = nn.functional.cross_entropy(predicted, next, ignore_index: IgnoreIndex, reduction: nn.Reduction.Sum);
        var count = labels.Sum(l => l.Count(x => x != IgnoreIndex));
        return (sum.MoveToOuterDisposeScope(), count);
    }

    public const long IgnoreIndex = -100;

    /// <summary>Labels per embedded row: the image placeholder expands to its image rows, all ignored.</summary>
    internal static long[] Labels(TrainingSequence sequence, int imageTokenId, int imageTokens)
    {
        var labels = new List<long>(sequence.Ids.Length + imageTokens);
        for (var i = 0; i < sequence.Ids.Length; i++)
        {
            if (sequence.HasImage && sequence.Ids[i] == imageTokenId)
            {
                for (var r = 0; r < imageTokens; r++) labels.Add(IgnoreIndex);
                continue;
            }
            labels.Add(sequence.IsTarget[i] ? sequence.Ids[i] : IgnoreIndex);
        }
        return [.. labels];
    }
}
