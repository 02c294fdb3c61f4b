using Mustafar.Data.Scenes;

namespace Mustafar.Data.Questions;

/// <summary>Asks a question of a given type about a scene, choosing only among questions whose answer the scene fixes:
/// an object is named only when the name picks exactly one shape, and positions only when they are clear by
/// <see cref="SceneRules"/>. Null when the scene allows no question of the type.</summary>
public static class QuestionComposer
{
    public static SynthQuestion? Compose(Scene scene, string category, SplitMix64 random) => category switch
    {
        QuestionCategories.Colour => Colour(scene, random),
        QuestionCategories.Shape => Shape(scene, random),
        QuestionCategories.Count => Count(scene, random),
        QuestionCategories.Position => Position(scene, random),
        QuestionCategories.Relation => Relation(scene, random),
        _ => throw new ArgumentException($"unknown question category '{category}'", nameof(category)),
    };

    private static SynthQuestion? Colour(Scene scene, SplitMix64 random)
    {
        var only = OnlyOnes(scene, s => s.Kind);
        if (only.Count == 0) return null;
        var shape = random.Pick(only);
        return new(QuestionCategories.Colour, $"What colour is the {shape.Kind.Word()}?", shape.Colour.Word());
    }

    private static SynthQuestion? Shape(Scene scene, SplitMix64 random)
    {
        var only = OnlyOnes(scene, s => s.Colour);
        if (only.Count == 0) return null;
        var shape = random.Pick(only);
        return new(QuestionCategories.Shape, $"What shape is the {shape.Colour.Word()} object?", shape.Kind.Word());
    }

    /// <summary>Half the time a kind the scene shows, half the time any kind: a uniform kind alone would make "zero"
    /// the answer of almost half the count questions.</summary>
    private static SynthQuestion Count(Scene scene, SplitMix64 random)
    {
        var kind = random.Next(0, 2) == 0 ? random.Pick(scene.Shapes).Kind : random.Pick(ShapeKinds.All);
        var count = scene.Shapes.Count(s => s.Kind == kind);
        return new(QuestionCategories.Count, $"How many {kind.Word()}s are there?", QuestionCategories.NumberWords[count]);
    }

    private static SynthQuestion? Position(Scene scene, SplitMix64 random)
    {
        var options = new List<SynthQuestion>();
        foreach (var shape in OnlyOnes(scene, s => (s.Kind, s.Colour)))
        {
            var side = SceneRules.IsLeft(shape, scene.Width) ? "left" : SceneRules.IsRight(shape, scene.Width) ? "right" : null;
            if (side is not null) options.Add(new(QuestionCategories.Position, $"Is the {shape.Name} on the left or the right?", side));
            var level = SceneRules.IsTop(shape, scene.Height) ? "top" : SceneRules.IsBottom(shape, scene.Height) ? "bottom" : null;
            if (level is not null) options.Add(new(QuestionCategories.Position, $"Is the {shape.Name} at the top or the bottom?", level));
        }
        return options.Count == 0 ? null : random.Pick(options);
    }

    /// <summary>Both orders of every clearly separated pair are candidates, so yes and no come equally often.</summary>
    private static SynthQuestion? Relation(Scene scene, SplitMix64 random)
    {
        var named = OnlyOnes(scene, s => (s.Kind, s.Colour));
        var options = new List<SynthQuestion>();
        foreach (var a in named)
            foreach (var b in named)
            {
                var answer = SceneRules.IsClearlyLeftOf(a, b, scene.Width) ? "yes" : SceneRules.IsClearlyLeftOf(b, a, scene.Width) ? "no" : null;
                if (answer is not null) options.Add(new(QuestionCategories.Relation, $"Is the {a.Name} left of the {b.Name}?", answer));
            }
        return options.Count == 0 ? null : random.Pick(options);
    }

    /// <summary>The shapes no other shape shares the key with, in scene order.</summary>
    private static List<SceneShape> OnlyOnes<TKey>(Scene scene, Func<SceneShape, TKey> key) =>
        [.. scene.Shapes.Where(s => scene.Shapes.Count(o => EqualityComparer<TKey>.Default.Equals(key(o), key(s))) == 1)];
}
