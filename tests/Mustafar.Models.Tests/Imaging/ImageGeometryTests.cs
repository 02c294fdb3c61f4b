using Mustafar.Models.Imaging;

namespace Mustafar.Models.Tests.Imaging;

public sealed class ImageGeometryTests
{
    [Fact]
    public void Expand_to_square_centres_a_wide_image_vertically_with_floor_offsets()
    {
        var wide = RgbImage.Filled(5, 2, new Rgb(1, 2, 3));
        var square = ImageGeometry.ExpandToSquare(wide, new Rgb(122, 116, 104));
        Assert.Equal((5, 5), (square.Width, square.Height));
        // (5 - 2) // 2 = 1 row of background above, 2 below.
        Assert.Equal(new Rgb(122, 116, 104), square[0, 0]);
        Assert.Equal(new Rgb(1, 2, 3), square[0, 1]);
        Assert.Equal(new Rgb(1, 2, 3), square[4, 2]);
        Assert.Equal(new Rgb(122, 116, 104), square[4, 3]);
    }

    [Fact]
    public void Expand_to_square_centres_a_tall_image_horizontally()
    {
        var tall = RgbImage.Filled(1, 4, new Rgb(9, 9, 9));
        var square = ImageGeometry.ExpandToSquare(tall, new Rgb(0, 0, 0));
        Assert.Equal(new Rgb(0, 0, 0), square[0, 0]);
        Assert.Equal(new Rgb(9, 9, 9), square[1, 0]);
        Assert.Equal(new Rgb(0, 0, 0), square[2, 3]);
    }

    [Fact]
    public void A_square_image_is_not_copied_by_expand_to_square()
    {
        var square = RgbImage.Filled(3, 3, default);
        Assert.Same(square, ImageGeometry.ExpandToSquare(square, new Rgb(5, 5, 5)));
    }

    [Fact]
    public void Center_crop_takes_floor_offsets()
    {
        var image = RgbImages.Pattern(7, 6);
        var crop = ImageGeometry.CenterCrop(image, 3, 4);
        // top = (6 - 3) // 2 = 1, left = (7 - 4) // 2 = 1
        Assert.Equal(image[1, 1], crop[0, 0]);
        Assert.Equal(image[4, 3], crop[3, 2]);
    }

    [Fact]
    public void Center_crop_larger_than_the_image_pads_with_zeros_as_transformers_does()
    {
        var image = RgbImage.Filled(3, 2, new Rgb(50, 60, 70));
        var crop = ImageGeometry.CenterCrop(image, 5, 4);
        Assert.Equal((4, 5), (crop.Width, crop.Height));
        // Padding before = ceil((5 - 2) / 2) = 2 rows and ceil((4 - 3) / 2) = 1 column.
        Assert.Equal(default, crop[0, 1]);
        Assert.Equal(default, crop[1, 1]);
        Assert.Equal(new Rgb(50, 60, 70), crop[1, 2]);
        Assert.Equal(new Rgb(50, 60, 70), crop[3, 3]);
        Assert.Equal(default, crop[3, 4]);
    }
}
