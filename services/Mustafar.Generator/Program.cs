using Mustafar.Generator;
using Mustafar.Models.Generation;
using Mustafar.Serving;

return await ServingHost.RunAsync<GeneratorService, GeneratorModel>(args, GeneratorService.Loader);
