using Grpc.Core;
using Mustafar.Serving;

namespace Mustafar.Services.Tests.Host;

/// <summary>Checks of the error a caller gets.</summary>
public static class RpcAssert
{
    /// <summary>The call fails with <paramref name="code"/>, a message that starts with the field's name and the
    /// field in the <c>mustafar-field</c> trailer; returns the message.</summary>
    public static async Task<string> FailsOnFieldAsync(Func<Task> call, StatusCode code, string field, bool tooLarge = false)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(error.StatusCode == code, $"expected {code} for '{field}', got {error.StatusCode}: {error.Status.Detail}");
        Assert.StartsWith($"{field}: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(field, error.Trailers.GetValue(ErrorMapper.FieldTrailer));
        Assert.Equal(tooLarge ? ErrorMapper.TooLarge : null, error.Trailers.GetValue(ErrorMapper.ErrorKindTrailer));
        return error.Status.Detail;
    }
}
