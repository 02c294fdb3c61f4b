namespace Mustafar.Train.Running;

/// <summary>LLaVA-1.5's two stages.</summary>
public enum TrainStage
{
    /// <summary>Only the projector and the fusion modules train; the LLM, CLIP and Stable Diffusion stay frozen.</summary>
    Pretrain,
    /// <summary>The projector, the fusion modules and the LLM train.</summary>
    Finetune,
}
