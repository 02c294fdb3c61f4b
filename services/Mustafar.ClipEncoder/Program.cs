#region readme-clip-program
using Mustafar.ClipEncoder;
using Mustafar.Models.Clip;
using Mustafar.Serving;

return await ServingHost.RunAsync<ClipEncoderService, ClipVisionEncoder>(args, ClipEncoderService.Loader);
#endregion
