using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.TextEncoder;

/// <summary>transformers' CLIPTextModel (Stable Diffusion's text_encoder): state-dict keys under "text_model.".</summary>
public sealed class ClipTextModel : nn.Module<Tensor, Tensor>
{
    private readonly ClipTextTransformer text_model;

    public ClipTextConfig Config { get; }

    public ClipTextModel(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextModel))
    {
        Config = config;
        text_model = new ClipTextTransformer(config, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>last_hidden_state [batch, tokens, hidden] for int64 ids [batch, tokens].</summary>
    public override Tensor forward(Tensor inputIds) => text_model.forward(inputIds);

    /// <summary>transformers' hidden_states; element 0 is the embedding output.</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor inputIds) => text_model.HiddenStates(inputIds);

    /// <summary>pooler_output: last_hidden_state at the EOS position. Configs with eos_token_id 2 (converted
    /// OpenCLIP, SD 2.x) use transformers' legacy rule, the position of the largest id.</summary>
    public Tensor Pooled(Tensor inputIds, Tensor lastHiddenState)
    {
        using var scope = NewDisposeScope();
        var positions = Config.EosTokenId == 2
            ? inputIds.argmax(-1)
            : inputIds.Eq(Config.EosTokenId).to(int32).argmax(-1);
        var rows = ScalarSafeOps.Arange(inputIds.shape[0], device: inputIds.device);
        return lastHiddenState.index(new TensorIndex[] { TensorIndex.Tensor(rows), TensorIndex.Tensor(positions) })
            .MoveToOuterDisposeScope();
    }
}
