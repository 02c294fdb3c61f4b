using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Clip;

/// <summary>Where a CLIP vision tower's weights live in a checkpoint.</summary>
public enum ClipCheckpointLayout
{
    /// <summary>transformers CLIPVisionModel: <c>vision_model.*</c>.</summary>
    ClipVisionModel,

    /// <summary>transformers CLIPModel: <c>vision_model.*</c> next to the text tower and projections (ignored).</summary>
    ClipModel,

    /// <summary>llava-hf LlavaForConditionalGeneration: <c>vision_tower.vision_model.*</c> (transformers up to
    /// 4.51) or <c>model.vision_tower.vision_model.*</c> (later), config in <c>vision_config</c>.</summary>
    LlavaHf,

    /// <summary>Original LLaVA (liuhaotian): no tower in the released checkpoint; <c>mm_vision_tower</c> names a
    /// CLIP checkpoint. Self-trained checkpoints may hold it as <c>model.vision_tower.vision_tower.vision_model.*</c>.</summary>
    LlavaOriginal,
}

/// <summary>The key mappings of each layout onto <see cref="ClipVisionModel"/>'s <c>vision_model.*</c> keys.</summary>
public static class ClipCheckpointKeys
{
    /// <summary>Saved by transformers before 4.31 as a buffer; transformers drops it on load, and so do we.</summary>
    private const string PositionIds = "embeddings.position_ids";

    public const string LlavaHfTowerPrefix = "vision_tower.";
    public const string LlavaHfNestedTowerPrefix = "model.vision_tower.";
    public const string LlavaOriginalTowerPrefix = "model.vision_tower.vision_tower.";

    /// <summary>CLIPVisionModel, or CLIPVisionModelWithProjection whose visual_projection is not part of the tower.</summary>
    public static KeyMapping ClipVisionModel { get; } = new() { IgnorePrefixes = ["visual_projection."], IgnoreSuffixes = [PositionIds] };

    public static KeyMapping ClipModel { get; } = new()
    {
        IgnorePrefixes = ["text_model.", "text_projection.", "visual_projection.", "logit_scale"],
        IgnoreSuffixes = [PositionIds],
    };

    /// <summary>llava-hf as saved by transformers 4.36-4.51 (the hub files of llava-hf/llava-1.5-*).</summary>
    public static KeyMapping LlavaHf { get; } = new()
    {
        Prefix = LlavaHfTowerPrefix,
        IgnorePrefixes = ["language_model.", "multi_modal_projector."],
        // A Mustafar fusion checkpoint adds its fusion modules under prefixes its config chooses; the generator
        // loads all of those strictly.
        IgnoreOutsidePrefix = true,
        IgnoreSuffixes = [PositionIds],
    };

    /// <summary>llava-hf as saved by transformers 4.52 and later (everything but lm_head under <c>model.</c>).</summary>
    public static KeyMapping LlavaHfNested { get; } = new()
    {
        Prefix = LlavaHfNestedTowerPrefix,
        IgnorePrefixes = ["model.language_model.", "model.multi_modal_projector.", "lm_head."],
        IgnoreOutsidePrefix = true,
        IgnoreSuffixes = [PositionIds],
    };

    /// <summary>A self-trained original-LLaVA checkpoint that saved its vision tower.</summary>
    public static KeyMapping LlavaOriginalTower { get; } = new()
    {
        Prefix = LlavaOriginalTowerPrefix,
        IgnorePrefixes = ["model.embed_tokens.", "model.layers.", "model.norm.", "lm_head.", "model.mm_projector.", "model.image_newline", "model.vision_resampler."],
        IgnoreOutsidePrefix = true,
        IgnoreSuffixes = [PositionIds],
    };

    /// <summary>The mapping for a layout, choosing the llava-hf variant from the checkpoint's keys.</summary>
    public static KeyMapping For(ClipCheckpointLayout layout, IEnumerable<string> checkpointKeys) => layout switch
    {
        ClipCheckpointLayout.ClipVisionModel => ClipVisionModel,
        ClipCheckpointLayout.ClipModel => ClipModel,
        ClipCheckpointLayout.LlavaHf => checkpointKeys.Any(k => k.StartsWith(LlavaHfNestedTowerPrefix, StringComparison.Ordinal)) ? LlavaHfNested : LlavaHf,
        ClipCheckpointLayout.LlavaOriginal => LlavaOriginalTower,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, null),
    };

    /// <summary>Whether an original-LLaVA checkpoint carries its own (self-trained) vision tower.</summary>
    public static bool HasOriginalLlavaTower(IEnumerable<string> checkpointKeys) =>
        checkpointKeys.Any(k => k.StartsWith(LlavaOriginalTowerPrefix, StringComparison.Ordinal));
}
