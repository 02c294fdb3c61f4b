using Mustafar.CheckpointWriters;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;

namespace Mustafar.Cli;

/// <summary>`mustafar train init-demo --out DIR [--seed N]`: the untrained starting point of the shipped demo model
/// (deploy/demo-model): the tiny Stable Diffusion pipeline and a cross-attention llava-hf checkpoint whose CLIP tower
/// sees 56 px images in 8 px patches (a 7x7 grid): at the 28 px of the random-weight demo, the synthetic set's
/// shapes are 4-7 px wide and a circle, a square and a triangle barely differ. Encoders keep these random weights;
/// the LLaMA and the fusion module are trained from scratch by `mustafar train finetune --from-scratch`.</summary>
public static class DemoBase
{
    public const int ClipImageSize = 56;
    public const int ClipPatchSize = 8;
    public const int ClipWidth = 64;
    // The shipped demo model's LLaMA (deploy/demo-model/README.md): the defaults must rebuild its starting point.
    public const int TextHiddenSize = 64;
    public const int TextLayers = 2;

    public const int SynthTokenizerVocab = 640;

    /// <summary>With --synth-tokenizer, what the tokenizer learns its merges from besides its built-in corpus: the questions and answers of
    /// a synthetic set (seed 0, never a training or test seed), as any LLM's tokenizer is trained on its kind of text,
    /// so that "triangle" or "purple" is one piece rather than eight characters the tiny LLaMA must compose.</summary>
    private static string SynthTokenizerCorpus() => string.Join(" ",
        Mustafar.Data.Synth.SynthGenerator.Generate(new Mustafar.Data.Synth.SynthOptions(0, 400, "tokenizer", 112))
            .Select(item => $"{item.Question.Text} {item.Question.Answer}"));

    public static int Run(CommandLine line)
    {
        var root = Path.GetFullPath(line.Required("out"));
        var seed = line.Int("seed", 1234);
        var modeName = line.Optional("mode") ?? FusionKind.CrossAttention.ConfigName();
        if (!FusionKinds.TryParse(modeName, out var mode))
            throw new UsageException($"--mode must be one of {string.Join(", ", Enum.GetValues<FusionKind>().Select(m => m.ConfigName()))}, not '{modeName}'");
        var hidden = line.Int("text-hidden", TextHiddenSize);
        var synthTokenizer = line.Flag("synth-tokenizer");
        var diffusion = Path.Combine(root, "stable-diffusion");
        var generator = Path.Combine(root, "llava");
        TinyStableDiffusionWriter.Write(diffusion, TinyStableDiffusionPreset.Tiny, seed);
        var tap = DemoCheckpoints.DefaultTap(diffusion);
        TinyLlavaCheckpoint.Write(generator, TinyLlavaOptions.Preset("tiny-" + mode.ConfigName()) with
        {
            Seed = seed,
            SentencePieceVocab = synthTokenizer ? SynthTokenizerVocab : new TinyLlavaOptions().SentencePieceVocab,
            TokenizerCorpus = synthTokenizer ? SynthTokenizerCorpus() : "",
            HiddenSize = hidden,
            IntermediateSize = line.Int("text-intermediate", 2 * hidden),
            Layers = line.Int("text-layers", TextLayers),
            VisionImageSize = ClipImageSize,
            VisionPatchSize = ClipPatchSize,
            VisionHiddenSize = ClipWidth,
            VisionIntermediateSize = 2 * ClipWidth,
            DiffusionTap = tap.Name,
            DiffusionChannels = tap.Channels,
            DiffusionGridHeight = tap.GridHeight,
            DiffusionGridWidth = tap.GridWidth,
        });
        Console.WriteLine($"demo base: wrote {diffusion} and {generator} ({mode.ConfigName()}; LLaMA {hidden} wide; CLIP {ClipImageSize} px / {ClipPatchSize} px patches, width {ClipWidth}; tap {tap.Name} {tap.GridHeight}x{tap.GridWidth}x{tap.Channels}; untrained)");
        return 0;
    }
}
