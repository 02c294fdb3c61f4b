using Mustafar.DiffusionEncoder;
using Mustafar.Models.Diffusion;
using Mustafar.Serving;

return await ServingHost.RunAsync<DiffusionEncoderService, StableDiffusionFeatureExtractor>(args, DiffusionEncoderService.Loader);
