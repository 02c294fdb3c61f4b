namespace Mustafar.Tensors;

/// <summary>
/// The bound on the paper's feature-guidance scale s in f = f_u + s (f_c - f_u), in the one library both the gateway
/// (which combines cached halves itself) and the diffusion service (which combines them in its guided variant) use.
/// Why a bound: an order of magnitude above the paper's largest scale (s = 7) is still a meaningful experiment; far
/// larger scales only amplify f_c - f_u until the features, then the language model's activations, overflow float32
/// into an answer of garbage.
/// </summary>
public static class GuidanceScale
{
    public const float Max = 100f;

    /// <summary><paramref name="scale"/> when it is within [0, <see cref="Max"/>]; NaN and infinities never are.</summary>
    /// <exception cref="InvalidInputException">Outside, naming <paramref name="field"/>.</exception>
    public static float Check(float scale, string field = "guidance_scale") =>
        scale is >= 0 and <= Max ? scale : throw new InvalidInputException(field, $"{scale} is outside [0, {Max}]");
}
