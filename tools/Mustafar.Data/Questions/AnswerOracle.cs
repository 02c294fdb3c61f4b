using System.Text.RegularExpressions;
using Mustafar.Data.Scenes;

namespace Mustafar.Data.Questions;

/// <summary>The validator: reads a question's text (not the composer's choices), finds what it names in the scene and
/// derives the answer again, refusing any question whose answer the scene does not fix (a name that fits no shape or
/// several, a shape in the middle band, a pair not clearly apart). Every generated item must pass through it.</summary>
public static partial class AnswerOracle
{
    /// <summary>The one correct answer; <see cref="InvalidDataException"/> when the question has none or several.</summary>
    public static string Answer(Scene scene, string question)
    {
        if (ColourQuestion().Match(question) is { Success: true } colour)
            return TheOne(scene, s => s.Kind.Word() == colour.Groups[1].Value, question).Colour.Word();
        if (ShapeQuestion().Match(question) is { Success: true } shape)
            return TheOne(scene, s => s.Colour.Word() == shape.Groups[1].Value, question).Kind.Word();
        if (CountQuestion().Match(question) is { Success: true } count)
            return QuestionCategories.NumberWords[scene.Shapes.Count(s => s.Kind == ShapeKinds.Parse(count.Groups[1].Value))];
        if (SideQuestion().Match(question) is { Success: true } side)
            return Side(scene, Named(scene, side.Groups[1].Value, question), question);
        if (LevelQuestion().Match(question) is { Success: true } level)
            return Level(scene, Named(scene, level.Groups[1].Value, question), question);
        if (RelationQuestion().Match(question) is { Success: true } relation)
            return Relation(scene, Named(scene, relation.Groups[1].Value, question), Named(scene, relation.Groups[2].Value, question), question);
        throw new InvalidDataException($"'{question}' is no question of the synthetic set");
    }

    private static string Side(Scene scene, SceneShape shape, string question) =>
        SceneRules.IsLeft(shape, scene.Width) ? "left"
        : SceneRules.IsRight(shape, scene.Width) ? "right"
        : throw new InvalidDataException($"'{question}': the {shape.Name} is in the middle band");

    private static string Level(Scene scene, SceneShape shape, string question) =>
        SceneRules.IsTop(shape, scene.Height) ? "top"
        : SceneRules.IsBottom(shape, scene.Height) ? "bottom"
        : throw new InvalidDataException($"'{question}': the {shape.Name} is in the middle band");

    private static string Relation(Scene scene, SceneShape a, SceneShape b, string question) =>
        SceneRules.IsClearlyLeftOf(a, b, scene.Width) ? "yes"
        : SceneRules.IsClearlyLeftOf(b, a, scene.Width) ? "no"
        : throw new InvalidDataException($"'{question}': the {a.Name} and the {b.Name} are not clearly apart");

    /// <summary>The shape a "colour kind" name picks out.</summary>
    private static SceneShape Named(Scene scene, string name, string question)
    {
        var words = name.Split(' ');
        return TheOne(scene, s => s.Colour == ShapeColours.Parse(words[0]) && s.Kind == ShapeKinds.Parse(words[1]), question);
    }

    private static SceneShape TheOne(Scene scene, Func<SceneShape, bool> fits, string question)
    {
        var matches = scene.Shapes.Where(fits).ToList();
        return matches.Count == 1 ? matches[0]
            : throw new InvalidDataException($"'{question}' names {matches.Count} shapes of the scene, not one");
    }

    [GeneratedRegex(@"^What colour is the (\w+)\?$")]
    private static partial Regex ColourQuestion();

    [GeneratedRegex(@"^What shape is the (\w+) object\?$")]
    private static partial Regex ShapeQuestion();

    [GeneratedRegex(@"^How many (\w+)s are there\?$")]
    private static partial Regex CountQuestion();

    [GeneratedRegex(@"^Is the (\w+ \w+) on the left or the right\?$")]
    private static partial Regex SideQuestion();

    [GeneratedRegex(@"^Is the (\w+ \w+) at the top or the bottom\?$")]
    private static partial Regex LevelQuestion();

    [GeneratedRegex(@"^Is the (\w+ \w+) left of the (\w+ \w+)\?$")]
    private static partial Regex RelationQuestion();
}
