# syntax=docker/dockerfile:1
# The gateway (YARP routes to the pools, VQA orchestration, Redis feature cache, HTTP and gRPC APIs). It never
# loads TorchSharp, so it runs on the small ASP.NET Core image.
# Build from the repository root (docker compose does this):
#   docker build -f deploy/docker/gateway.Dockerfile -t mustafar/gateway .
# Configuration: appsettings.json beside the binary, overridden by MUSTAFAR__Gateway__... and
# MUSTAFAR__ReverseProxy__... environment variables (gateway/Mustafar.Gateway/README.md).

# global.json pins the SDK's 10.0.4xx feature band (rollForward latestPatch): pass another SDK_IMAGE tag
# (for example mcr.microsoft.com/dotnet/sdk:10.0.401) if the floating 10.0 tag has moved to a later band.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,id=mustafar-nuget,target=/root/.nuget/packages \
    dotnet publish deploy/probe/Mustafar.HealthProbe/Mustafar.HealthProbe.csproj -c Release -o /out/probe \
 && dotnet publish gateway/Mustafar.Gateway/Mustafar.Gateway.csproj -c Release -o /out/app

FROM ${ASPNET_IMAGE} AS final
WORKDIR /app
COPY --from=build /out/app /app
COPY --from=build /out/probe /opt/mustafar/probe
# Kestrel's endpoints come from appsettings.json (Kestrel:Endpoints: HTTP/1.1 on 8080, h2c on 8081); the image's
# ASPNETCORE_HTTP_PORTS would only make Kestrel warn that it is overridden.
ENV ASPNETCORE_HTTP_PORTS=
# The non-root user of Microsoft's .NET images (uid 1654), numeric so that Kubernetes can verify runAsNonRoot.
USER 1654:1654
EXPOSE 8080 8081
# Ready when the generator and CLIP pools (and diffusion, unless the model is CLIP-only) have a reachable replica.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["dotnet", "/opt/mustafar/probe/Mustafar.HealthProbe.dll", "http://127.0.0.1:8080/readyz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/Mustafar.Gateway.dll"]
