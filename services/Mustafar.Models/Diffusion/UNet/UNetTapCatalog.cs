using Mustafar.Tensors;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>
/// Every tap a U-Net of one config can return, in forward order, with its diffusers module path, channels and
/// spatial level. Built from the config alone (no weights), so the service can list it in GetModelInfo and
/// validate requests before any work.
/// </summary>
internal sealed class UNetTapCatalog
{
    public const string TimeEmbedding = "Time-Emb";

    private readonly UNet2DConditionConfig _config;
    private readonly Dictionary<string, UNetTap> _byName;

    public IReadOnlyList<UNetTap> Taps { get; }

    public UNetTapCatalog(UNet2DConditionConfig config)
    {
        _config = config;
        Taps = Build(config);
        _byName = Taps.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The taps for names a caller asked for; unknown or repeated names fail with an
    /// <see cref="InvalidInputException"/> on <paramref name="field"/> that names them.</summary>
    public IReadOnlyList<UNetTap> Resolve(IEnumerable<string> names, string field = "taps")
    {
        var resolved = new List<UNetTap>();
        foreach (var name in names)
        {
            if (!_byName.TryGetValue(name ?? "", out var tap))
                throw new InvalidInputException(field,
                    $"unknown tap '{name}'; GetModelInfo lists the {Taps.Count} valid taps of this U-Net (for example {string.Join(", ", Examples())})");
            if (resolved.Contains(tap)) throw new InvalidInputException(field, $"tap '{name}' is requested twice");
            resolved.Add(tap);
        }
        return resolved;
    }

    private IEnumerable<string> Examples() =>
        new[] { "U-L1-R1-B0-Cross-Q", "U-L1-R1-B0-Out", "U-L2-R2-Res-Out", "Mid-Out" }.Where(Contains).DefaultIfEmpty(Taps[^1].Name);

    /// <summary>Side of each spatial level for a latent side, following the U-Net's stride-2 downsampling convs.</summary>
    public int SizeAtLevel(int latentSize, int level)
    {
        var size = latentSize;
        var pad = _config.DownsamplePadding;
        // Padding 0 means diffusers' extra (0,1,0,1) pad, as in the VAE.
        for (var i = 0; i < level; i++) size = (size + 2 * pad - 3 + (pad == 0 ? 1 : 0)) / 2 + 1;
        return size;
    }

    /// <summary>The taps with their grids at a latent of the given size (image size / VAE factor).</summary>
    public IReadOnlyList<UNetTapInfo> Describe(int latentHeight, int latentWidth) =>
        Taps.Select(t => t.Level < 0
                ? new UNetTapInfo(t.Name, t.ModulePath, 1, 1, t.Channels)
                : new UNetTapInfo(t.Name, t.ModulePath, SizeAtLevel(latentHeight, t.Level), SizeAtLevel(latentWidth, t.Level), t.Channels))
            .ToList();

    private static List<UNetTap> Build(UNet2DConditionConfig config)
    {
        var taps = new List<UNetTap>();
        void Add(string name, string path, int channels, int level, TapLayout layout) =>
            taps.Add(new UNetTap(name, path, channels, level, layout, taps.Count));

        void AddAttention(string prefix, string path, int channels, int level, int transformerLayers)
        {
            for (var k = 0; k < transformerLayers; k++)
            {
                var block = $"{path}.transformer_blocks.{k}";
                Add($"{prefix}-B{k}-Self-Q", $"{block}.attn1.to_q", channels, level, TapLayout.Tokens);
                Add($"{prefix}-B{k}-Cross-Q", $"{block}.attn2.to_q", channels, level, TapLayout.Tokens);
                Add($"{prefix}-B{k}-Out", block, channels, level, TapLayout.Tokens);
            }
            Add($"{prefix}-Attn-Out", path, channels, level, TapLayout.Map);
        }

        var n = config.BlockCount;
        Add(TimeEmbedding, "time_embedding", config.TimeEmbedDim, -1, TapLayout.Vector);
        for (var i = 0; i < n; i++)
        {
            var channels = config.BlockOutChannels[i];
            var hasAttention = config.DownBlockTypes[i] == UNet2DConditionConfig.CrossAttnDown;
            for (var j = 0; j < config.LayersPerBlock[i]; j++)
            {
                Add($"D-L{i}-R{j}-Res-Out", $"down_blocks.{i}.resnets.{j}", channels, i, TapLayout.Map);
                if (hasAttention)
                    AddAttention($"D-L{i}-R{j}", $"down_blocks.{i}.attentions.{j}", channels, i, config.TransformerLayersPerBlock[i]);
            }
            Add($"D-L{i}-Out", $"down_blocks.{i}", channels, i < n - 1 ? i + 1 : i, TapLayout.Map);
        }

        var deepest = config.BlockOutChannels[^1];
        Add("Mid-R0-Res-Out", "mid_block.resnets.0", deepest, n - 1, TapLayout.Map);
        AddAttention("Mid-R0", "mid_block.attentions.0", deepest, n - 1, config.TransformerLayersPerBlock[^1]);
        Add("Mid-R1-Res-Out", "mid_block.resnets.1", deepest, n - 1, TapLayout.Map);
        Add("Mid-Out", "mid_block", deepest, n - 1, TapLayout.Map);

        for (var i = 0; i < n; i++)
        {
            var channels = config.BlockOutChannels[n - 1 - i];
            var level = n - 1 - i;
            var hasAttention = config.UpBlockTypes[i] == UNet2DConditionConfig.CrossAttnUp;
            for (var j = 0; j < config.LayersPerBlock[n - 1 - i] + 1; j++)
            {
                Add($"U-L{i}-R{j}-Res-Out", $"up_blocks.{i}.resnets.{j}", channels, level, TapLayout.Map);
                if (hasAttention)
                    AddAttention($"U-L{i}-R{j}", $"up_blocks.{i}.attentions.{j}", channels, level, config.TransformerLayersPerBlock[n - 1 - i]);
            }
            Add($"U-L{i}-Out", $"up_blocks.{i}", channels, i < n - 1 ? level - 1 : level, TapLayout.Map);
        }
        return taps;
    }
}
