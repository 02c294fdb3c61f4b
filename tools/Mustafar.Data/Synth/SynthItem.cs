using Mustafar.Data.Questions;
using Mustafar.Data.Scenes;

namespace Mustafar.Data.Synth;

/// <summary>One item of the set: its id, its image's path relative to the output folder, the scene and the question.</summary>
public sealed record SynthItem(string Id, string Image, Scene Scene, SynthQuestion Question);
