namespace Mustafar.Data.Scenes;

/// <summary>What an image shows: its size and its shapes on the plain background. The image is drawn from this, and
/// every answer is derived from it.</summary>
public sealed record Scene(int Width, int Height, IReadOnlyList<SceneShape> Shapes);
