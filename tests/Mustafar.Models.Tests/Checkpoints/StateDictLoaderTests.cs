using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Testing;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Checkpoints;

public sealed class StateDictLoaderTests : IDisposable
{
    private sealed class Tower : nn.Module<Tensor, Tensor>
    {
        // Field names are the state-dict keys, as in the model code.
#pragma warning disable IDE1006
        private readonly Linear proj;
        private readonly LayerNorm norm;
#pragma warning restore IDE1006

        public Tower(Device? device = null) : base(nameof(Tower))
        {
            proj = nn.Linear(3, 2, device: device);
            norm = nn.LayerNorm(2, device: device);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => norm.forward(proj.forward(input));
    }

    private readonly string _folder = RepoPaths.NewTempFolder("loader");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private SafetensorsCheckpoint Save(Dictionary<string, Tensor> tensors)
    {
        SafetensorsWriter.Write(Path.Combine(_folder, "model.safetensors"), tensors);
        return SafetensorsCheckpoint.Open(_folder);
    }

    private static Dictionary<string, Tensor> TowerWeights(string prefix) => new()
    {
        [prefix + "proj.weight"] = arange(6, dtype: float32).reshape(2, 3),
        [prefix + "proj.bias"] = tensor(new[] { 0.5f, -0.5f }),
        [prefix + "norm.weight"] = tensor(new[] { 2f, 3f }),
        [prefix + "norm.bias"] = tensor(new[] { 0.25f, 0.75f }),
    };

    [Fact]
    public void Keys_under_the_prefix_load_and_other_parts_are_skipped_and_counted()
    {
        using var scope = NewDisposeScope();
        var weights = TowerWeights("vision_model.");
        weights["text_model.embeddings.token_embedding.weight"] = zeros(4, 2);
        weights["logit_scale"] = zeros(1);
        weights["vision_model.embeddings.position_ids"] = zeros(1, 3, dtype: int64);
        using var checkpoint = Save(weights);
        var tower = new Tower();

        var report = StateDictLoader.Load(tower, checkpoint, new KeyMapping
        {
            Prefix = "vision_model.",
            IgnorePrefixes = ["text_model.", "logit_scale"],
            IgnoreSuffixes = ["embeddings.position_ids"],
        });

        Assert.Equal(4, report.Loaded);
        Assert.Equal(1, report.Ignored["text_model."]);
        Assert.Equal(1, report.Ignored["embeddings.position_ids"]);
        Assert.Equal(5f, tower.state_dict()["proj.weight"][1, 2].item<float>());
        Assert.Equal(0.75f, tower.state_dict()["norm.bias"][1].item<float>());
    }

    [Fact]
    public void A_part_of_a_larger_checkpoint_can_skip_everything_outside_its_prefix()
    {
        using var scope = NewDisposeScope();
        var weights = TowerWeights("vision_tower.");
        weights["language_model.lm_head.weight"] = zeros(4, 2);
        weights["custom_fusion.block.weight"] = zeros(2);
        using var checkpoint = Save(weights);

        var strict = Assert.Throws<CheckpointMismatchException>(() =>
            StateDictLoader.Load(new Tower(), checkpoint, new KeyMapping { Prefix = "vision_tower." }));
        Assert.Equal(["custom_fusion.block.weight", "language_model.lm_head.weight"], strict.Plan.Unexpected);

        var report = StateDictLoader.Load(new Tower(), checkpoint, new KeyMapping { Prefix = "vision_tower.", IgnoreOutsidePrefix = true });
        Assert.Equal(4, report.Loaded);
        Assert.Equal(2, report.Ignored["(outside 'vision_tower.')"]);
    }

    [Fact]
    public void Missing_and_unexpected_keys_are_all_listed()
    {
        using var scope = NewDisposeScope();
        var weights = TowerWeights("");
        weights.Remove("norm.bias");
        weights["proj.scale"] = ones(1);
        using var checkpoint = Save(weights);

        var error = Assert.Throws<CheckpointMismatchException>(() => StateDictLoader.Load(new Tower(), checkpoint, KeyMapping.Exact));
        Assert.Equal(["norm.bias"], error.Plan.Missing);
        Assert.Equal(["proj.scale"], error.Plan.Unexpected);
        Assert.Contains("missing keys (1): norm.bias", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected keys (1): proj.scale", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shape_mismatch_names_both_shapes()
    {
        using var scope = NewDisposeScope();
        var weights = TowerWeights("");
        weights["proj.weight"] = zeros(3, 2);
        using var checkpoint = Save(weights);

        var error = Assert.Throws<CheckpointMismatchException>(() => StateDictLoader.Load(new Tower(), checkpoint, KeyMapping.Exact));
        Assert.Equal(["proj.weight: checkpoint [3, 2], model [2, 3]"], error.Plan.ShapeMismatches);
    }

    [Fact]
    public void Weights_convert_to_the_dtype_the_module_was_built_in()
    {
        using var scope = NewDisposeScope();
        using var checkpoint = Save(TowerWeights(""));
        var tower = new Tower();
        tower.to(bfloat16);

        StateDictLoader.Load(tower, checkpoint, KeyMapping.Exact);

        var weight = tower.state_dict()["proj.weight"];
        Assert.Equal(ScalarType.BFloat16, weight.dtype);
        Assert.Equal(5f, weight[1, 2].to(float32).item<float>());
    }

    [Fact]
    public void Renames_apply_after_the_prefix_is_stripped()
    {
        using var scope = NewDisposeScope();
        var weights = TowerWeights("m.");
        weights["m.norm.gamma"] = weights["m.norm.weight"];
        weights.Remove("m.norm.weight");
        using var checkpoint = Save(weights);

        var report = StateDictLoader.Load(new Tower(), checkpoint, new KeyMapping
        {
            Prefix = "m.",
            Rename = key => key.Replace("norm.gamma", "norm.weight", StringComparison.Ordinal),
        });
        Assert.Equal(4, report.Loaded);
    }

    [Fact]
    public void Plans_work_from_names_and_shapes_alone_on_the_meta_device()
    {
        using var tower = new Tower(META);
        var plan = LoadPlan.Create(StateDictLoader.ShapesOf(tower),
            [KeyValuePair.Create("proj.weight", new long[] { 2, 3 }), KeyValuePair.Create("proj.bias", new long[] { 2 })],
            KeyMapping.Exact);
        Assert.False(plan.IsComplete);
        Assert.Equal(["norm.bias", "norm.weight"], plan.Missing);
    }
}
