# syntax=docker/dockerfile:1
# The Generator host (LLaVA-1.5-7B fusion and streamed generation) on a CUDA runtime.
# Build from the repository root (docker compose does this):
#   docker build -f deploy/docker/generator.Dockerfile -t mustafar/generator .
# CPU-only image (no GPU needed; what docker-compose.cpu.yml builds):
#   docker build -f deploy/docker/generator.Dockerfile --build-arg TORCH_BACKEND=cpu --build-arg RUNTIME_IMAGE=ubuntu:24.04 -t mustafar/generator:cpu .
# Configuration is MUSTAFAR__Section__Key environment variables (services/Mustafar.Serving/README.md);
# MUSTAFAR__Model__Path must name the mounted checkpoint folder.

# global.json pins the SDK's 10.0.4xx feature band (rollForward latestPatch): pass another SDK_IMAGE tag
# (for example mcr.microsoft.com/dotnet/sdk:10.0.401) if the floating 10.0 tag has moved to a later band.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
# TorchSharp-cuda-linux 0.107 brings libtorch built for CUDA 12.8 (with its own cuDNN and cuBLAS); the host only
# needs the NVIDIA driver, which the container toolkit mounts. Ubuntu 24.04 has the GLIBCXX_3.4.32 that
# libLibTorchSharp.so needs. The cudnn-runtime variant is the safe default; nvidia/cuda:12.8.1-base-ubuntu24.04
# makes a smaller image when the bundled libraries suffice. Keep RUNTIME_IMAGE on Ubuntu 24.04 (package names below).
ARG RUNTIME_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# The .NET and ASP.NET Core runtimes, copied from Microsoft's image into the CUDA one.
FROM ${ASPNET_IMAGE} AS dotnet-runtime

FROM ${SDK_IMAGE} AS build
# cuda: TorchSharp-cuda-linux, restored from nuget.org (it is not in this project's CI package feed, so these
# images are built where nuget.org is reachable); cpu: TorchSharp-cpu.
ARG TORCH_BACKEND=cuda
WORKDIR /src
COPY . .
# The package cache outlives the build: the CUDA packages are several GB.
RUN --mount=type=cache,id=mustafar-nuget,target=/root/.nuget/packages \
    dotnet publish deploy/probe/Mustafar.HealthProbe/Mustafar.HealthProbe.csproj -c Release -o /out/probe \
 && dotnet publish services/Mustafar.Generator/Mustafar.Generator.csproj -c Release -r linux-x64 --self-contained false \
      -p:TorchBackend=${TORCH_BACKEND} -o /out/app

FROM ${RUNTIME_IMAGE} AS final
ARG TORCH_BACKEND=cuda
COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet
# What the .NET runtime needs beyond the base image (globalization is invariant: no ICU), and a non-root user with
# the uid of Microsoft's .NET images (1654), so volume permissions work the same in every image of the mesh.
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3t64 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /out/app /app
COPY --from=build /out/probe /opt/mustafar/probe
# A CUDA image computes on the GPU, a CPU image on the CPU; everything else comes from the deployment.
ENV DOTNET_RUNNING_IN_CONTAINER=true \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    MUSTAFAR__Model__Device=${TORCH_BACKEND}
USER 1654:1654
# gRPC (h2c) on Mustafar:Server:GrpcPort, /healthz /readyz /metrics (HTTP/1.1) on Mustafar:Server:HttpPort.
EXPOSE 50051 8080
# Ready once the model is loaded and warmed up; the start period covers loading the weights (15m).
HEALTHCHECK --interval=10s --timeout=5s --start-period=15m --retries=3 \
  CMD ["dotnet", "/opt/mustafar/probe/Mustafar.HealthProbe.dll", "http://127.0.0.1:8080/readyz"]
# SIGTERM starts the drain: in-flight calls get Mustafar:Server:DrainTimeoutSeconds to finish, so give the container
# a longer stop timeout (compose stop_grace_period, Kubernetes terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/Mustafar.Generator.dll"]
