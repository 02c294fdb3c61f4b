using Mustafar.Data.Questions;
using Mustafar.Data.Scenes;
using Mustafar.Data.Synth;

namespace Mustafar.Data.Tests;

public sealed class AnswerOracleTests
{
    private static SceneShape Shape(ShapeKind kind, ShapeColour colour, int x, int y, int size = 30) => new(kind, colour, x, y, size);

    [Fact]
    public void Every_generated_answer_is_the_one_the_oracle_derives_from_the_scene()
    {
        var items = SynthGenerator.Generate(new SynthOptions(Seed: 5, Count: 5000)).ToList();
        foreach (var item in items)
        {
            Assert.Equal(item.Question.Answer, AnswerOracle.Answer(item.Scene, item.Question.Text));
            Assert.Contains(item.Question.Answer, QuestionCategories.Answers(item.Question.Category));
        }
        Assert.All(QuestionCategories.All, c => Assert.Equal(1000, items.Count(i => i.Question.Category == c)));
        // Every answer of every type occurs: the composer does not lean on a few.
        Assert.All(QuestionCategories.All, c => Assert.All(QuestionCategories.Answers(c), a =>
            Assert.Contains(items, i => i.Question.Category == c && i.Question.Answer == a)));
    }

    [Fact]
    public void Oracle_answers_hand_built_scenes()
    {
        var scene = new Scene(224, 224, [
            Shape(ShapeKind.Triangle, ShapeColour.Green, 10, 10),
            Shape(ShapeKind.Circle, ShapeColour.Blue, 180, 180, 34),
            Shape(ShapeKind.Circle, ShapeColour.Red, 10, 150),
        ]);
        Assert.Equal("green", AnswerOracle.Answer(scene, "What colour is the triangle?"));
        Assert.Equal("circle", AnswerOracle.Answer(scene, "What shape is the blue object?"));
        Assert.Equal("two", AnswerOracle.Answer(scene, "How many circles are there?"));
        Assert.Equal("zero", AnswerOracle.Answer(scene, "How many squares are there?"));
        Assert.Equal("right", AnswerOracle.Answer(scene, "Is the blue circle on the left or the right?"));
        Assert.Equal("top", AnswerOracle.Answer(scene, "Is the green triangle at the top or the bottom?"));
        Assert.Equal("yes", AnswerOracle.Answer(scene, "Is the red circle left of the blue circle?"));
        Assert.Equal("no", AnswerOracle.Answer(scene, "Is the blue circle left of the green triangle?"));
    }

    [Theory]
    [InlineData("What colour is the circle?")] // two circles
    [InlineData("Is the yellow square left of the blue circle?")] // no yellow square
    [InlineData("What shape is the yellow object?")] // nothing yellow
    [InlineData("Is the purple square on the left or the right?")] // centre in the middle band
    [InlineData("Is the red circle left of the green triangle?")] // boxes overlap horizontally
    [InlineData("Is the red circle at the top or the bottom?")] // middle band vertically
    [InlineData("What is this?")]
    public void Oracle_refuses_questions_the_scene_does_not_answer(string question)
    {
        var scene = new Scene(224, 224, [
            Shape(ShapeKind.Triangle, ShapeColour.Green, 10, 10),
            Shape(ShapeKind.Circle, ShapeColour.Red, 20, 97),
            Shape(ShapeKind.Circle, ShapeColour.Blue, 180, 180, 34),
            Shape(ShapeKind.Square, ShapeColour.Purple, 97, 150),
        ]);
        Assert.Throws<InvalidDataException>(() => AnswerOracle.Answer(scene, question));
    }

    [Fact]
    public void Composer_asks_nothing_the_scene_leaves_open()
    {
        // Two red triangles: neither is named uniquely by kind, colour or both, so only a count question fits.
        var scene = new Scene(224, 224, [
            Shape(ShapeKind.Triangle, ShapeColour.Red, 10, 10),
            Shape(ShapeKind.Triangle, ShapeColour.Red, 150, 150),
        ]);
        var random = new SplitMix64(3);
        Assert.All(QuestionCategories.All.Where(c => c != QuestionCategories.Count), c => Assert.Null(QuestionComposer.Compose(scene, c, random)));
        var count = QuestionComposer.Compose(scene, QuestionCategories.Count, random)!;
        Assert.Equal(AnswerOracle.Answer(scene, count.Text), count.Answer);
    }
}
