namespace Mustafar.Models.Generation;

/// <summary>The checkpoint layouts the generator loads.</summary>
public enum CheckpointLayout
{
    /// <summary>transformers' LlavaForConditionalGeneration (llava-hf): <c>language_model.*</c>,
    /// <c>multi_modal_projector.*</c>, <c>vision_tower.*</c> (the CLIP service's, skipped here), nested text_config.</summary>
    LlavaHf,
    /// <summary>The original LLaVA repository (liuhaotian): LlamaForCausalLM keys plus <c>model.mm_projector.{0,2}</c>,
    /// flat config with <c>mm_*</c> keys; the vision tower is loaded separately from <c>mm_vision_tower</c>.</summary>
    LlavaOriginal,
    /// <summary>A plain LlamaForCausalLM (Vicuna): text only.</summary>
    Llama,
}
