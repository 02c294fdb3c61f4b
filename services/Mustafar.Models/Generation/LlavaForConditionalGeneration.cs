using Mustafar.Models.Fusion;
using Mustafar.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>
/// transformers' LlavaForConditionalGeneration without its vision tower (the CLIP service owns that): the
/// language model, LLaVA's projector and, for Mustafar checkpoints, the extra fusion modules. Field names are
/// llava-hf's state-dict keys; other layouts are renamed onto them (<see cref="GeneratorCheckpointConfig.KeyMapping"/>).
/// A text-only checkpoint builds the language model alone.
/// </summary>
public sealed class LlavaForConditionalGeneration : nn.Module
{
    public const string LanguageModelKey = nameof(language_model);
    public const string ProjectorKey = nameof(multi_modal_projector);
    public const string FusionModulesKey = nameof(mustafar_fusion);

    private readonly LlamaForCausalLM language_model;
    private readonly LlavaMultiModalProjector? multi_modal_projector;
    private readonly MustafarFusionModules? mustafar_fusion;

    public GeneratorCheckpointConfig Config { get; }

    public LlavaForConditionalGeneration(GeneratorCheckpointConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(LlavaForConditionalGeneration))
    {
        Config = config;
        language_model = new LlamaForCausalLM(config.Text, device, dtype);
        if (config.Fusion is { } fusion)
        {
            multi_modal_projector = new LlavaMultiModalProjector(fusion.ProjectorInputChannels, fusion.TextHiddenSize, fusion.ProjectorActivation, fusion.ProjectorBias, device, dtype);
            if (MustafarFusionModules.Needed(fusion.Mode)) mustafar_fusion = new MustafarFusionModules(fusion, device, dtype);
        }
        RegisterComponents();
    }

    public LlamaForCausalLM LanguageModel => language_model;

    /// <summary>The visual tokens of a batch of images, [images, image tokens, hidden], in the model dtype.</summary>
    /// <param name="clip">[images, clip tokens, clip channels], any floating dtype and device.</param>
    /// <param name="diffusion">[images, diffusion tokens, diffusion channels], or null for clip-only.</param>
    public Tensor ProjectImages(Tensor clip, Tensor? diffusion)
    {
        var fusion = Config.Fusion ?? throw new InvalidOperationException("this checkpoint is text-only: it has no projector");
        using var scope = NewDisposeScope();
        var weight = language_model.Model.EmbeddingWeight;
        var result = VisualFusion.Project(fusion, multi_modal_projector!, mustafar_fusion,
            clip.to(weight.dtype, weight.device), diffusion?.to(weight.dtype, weight.device));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The input embeddings [tokens, hidden] of one prompt: token embeddings, with the image placeholder id
    /// (<see cref="GeneratorCheckpointConfig.ImageTokenId"/>) replaced in place by <paramref name="image"/>'s rows,
    /// exactly as LLaVA splices them. Without a placeholder, <paramref name="image"/> must be null.</summary>
    public Tensor EmbedPrompt(IReadOnlyList<int> ids, Tensor? image)
    {
        using var scope = NewDisposeScope();
        var device = language_model.Model.EmbeddingWeight.device;
        var at = -1;
        for (var i = 0; i < ids.Count; i++)
            if (ids[i] == Config.ImageTokenId)
            {
                if (at >= 0) throw new ArgumentException("a prompt holds at most one image placeholder", nameof(ids));
                at = i;
            }
        if ((at >= 0) != (image is not null))
            throw new ArgumentException(at >= 0 ? "the prompt has an image placeholder but no image was given" : "an image was given but the prompt has no placeholder");
        // The placeholder (-200 in the original layout) may not be a row of the table; its row is replaced anyway.
        var lookup = tensor(ids.Select(id => id == Config.ImageTokenId ? 0L : id).ToArray(), ScalarType.Int64, device);
        var embeds = language_model.Embed(lookup);
        if (image is null) return embeds.MoveToOuterDisposeScope();
        var spliced = cat([embeds.narrow(0, 0, at), image.to(embeds.dtype), embeds.narrow(0, at + 1, ids.Count - at - 1)], 0);
        return spliced.MoveToOuterDisposeScope();
    }
}
