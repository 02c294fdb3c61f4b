using Mustafar.CheckpointWriters;
using Mustafar.Testing;

namespace Mustafar.Models.Tests.Generation;

/// <summary>Tiny LLaVA checkpoints in a <see cref="TinyCheckpoints"/> class fixture.</summary>
internal static class TinyLlavaFolders
{
    /// <summary>The folder of <paramref name="name"/>, written with <paramref name="options"/> on first use.</summary>
    public static string Get(this TinyCheckpoints checkpoints, string name, TinyLlavaOptions options) =>
        checkpoints.Get(name, folder => TinyLlavaCheckpoint.Write(folder, options));

    /// <summary>A named preset (<see cref="TinyLlavaOptions.PresetNames"/>).</summary>
    public static string Preset(this TinyCheckpoints checkpoints, string preset) => checkpoints.Get(preset, TinyLlavaOptions.Preset(preset));
}
