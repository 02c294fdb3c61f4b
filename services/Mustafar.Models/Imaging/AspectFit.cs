namespace Mustafar.Models.Imaging;

/// <summary>How a non-square image becomes the square model input.</summary>
public enum AspectFit
{
    /// <summary>Plain CLIP: resize the shortest edge, then centre-crop (the borders of a long image are lost).</summary>
    Crop,

    /// <summary>LLaVA-1.5 <c>image_aspect_ratio = "pad"</c>: paste the image centred on a square canvas filled with
    /// the mean colour (<c>expand2square</c>), then the same resize and crop.</summary>
    Pad,
}
