using System.Globalization;

namespace Mustafar.Train.Vision;

/// <summary>How well the pre-trained tower's patches say what a held-out scene shows.</summary>
/// <param name="Objects">Shapes whose centre patch names both their colour and kind right.</param>
/// <param name="Phantoms">Patches with no shape's centre that claim one, per patch.</param>
/// <param name="Cover">Patches whose covering shape (or nothing) is named right in colour and kind.</param>
/// <param name="Position">Patches whose row and column are read back right.</param>
public sealed record PatchScores(double Objects, double Phantoms, double Cover, double Position)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"objects {Objects:P1}, phantom centres {Phantoms:P2} of patches, cover {Cover:P1}, row and column {Position:P1}");

    internal sealed class Tally
    {
        private long _objects, _objectsRight, _empty, _phantoms, _patches, _coverRight, _positionRight;

        /// <summary>Adds image <paramref name="image"/> of a batch whose predictions are [head][image, patch].</summary>
        public void Add(PatchTargets truth, long[][,] predicted, int image)
        {
            var heads = truth.Heads;
            for (var p = 0; p < truth.Row.Length; p++)
            {
                bool Right(int head) => predicted[head][image, p] == heads[head][p];
                _patches++;
                if (truth.CentreColour[p] > 0)
                {
                    _objects++;
                    if (Right(0) && Right(1)) _objectsRight++;
                }
                else
                {
                    _empty++;
                    if (predicted[0][image, p] > 0 || predicted[1][image, p] > 0) _phantoms++;
                }
                if (Right(2) && Right(3)) _coverRight++;
                if (Right(4) && Right(5)) _positionRight++;
            }
        }

        public PatchScores Scores() => new(
            _objects == 0 ? 0 : (double)_objectsRight / _objects,
            _empty == 0 ? 0 : (double)_phantoms / _empty,
            (double)_coverRight / Math.Max(1, _patches),
            (double)_positionRight / Math.Max(1, _patches));
    }
}
