using Mustafar.ServiceDefaults;

namespace Mustafar.Serving.Tests;

/// <summary>A host reads the appsettings.json beside its binary wherever it is started from, unless told otherwise.</summary>
public class ContentRootTests
{
    [Fact]
    public void The_content_root_is_the_binarys_folder_unless_the_command_line_names_one()
    {
        Assert.Equal(AppContext.BaseDirectory, HostContentRoot.Default(["--Mustafar:Model:Path=/models/clip"]));
        Assert.Null(HostContentRoot.Default(["--contentRoot=/srv/clip"]));
        Assert.Null(HostContentRoot.Default(["--contentRoot", "/srv/clip"]));
    }
}
