# The same images as aeron_cffi/testing/images.py builds from local files (docs/tools/containers.md),
# built here in stages from public base images, for machines that can pull them:
#   docker build --target driver -t aeron-cffi-driver .
#   docker build --target java   -t aeron-cffi-java .
# CI does not build this file (no registry to pull from); the from-scratch build is what is tested.

# -- build: the package from source, which fetches and builds the pinned Aeron ----------------
FROM python:3.11-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends uuid-dev cargo && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN python -m pip install --no-cache-dir "cmake>=3.30" ninja "cffi>=1.17" "setuptools>=68" wheel \
    && python -m pip install --no-cache-dir --no-build-isolation .

# -- driver: aeronmd and the libraries it links -------------------------------------------------
FROM debian:bookworm-slim AS driver
RUN apt-get update && apt-get install -y --no-install-recommends libuuid1 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/lib/python3.11/site-packages/aeron_cffi/bin/aeronmd /usr/local/bin/aeronmd
ENTRYPOINT ["/usr/local/bin/aeronmd"]

# -- java: a jlinked runtime and the pinned aeron-all jar -------------------------------------
FROM eclipse-temurin:17-jdk AS jre
RUN jlink --add-modules java.base,java.management,jdk.unsupported --strip-debug --no-header-files \
    --no-man-pages --compress=2 --output /opt/jre
FROM maven:3-eclipse-temurin-17 AS jar
COPY vendor/aeron/aeron.pin /aeron.pin
RUN version=$(sed -n 's/^AERON_VERSION=//p' /aeron.pin) \
    && mvn -q dependency:copy -Dartifact=io.aeron:aeron-all:$version -DoutputDirectory=/opt/aeron \
    && mv /opt/aeron/aeron-all-$version.jar /opt/aeron/aeron-all.jar
FROM debian:bookworm-slim AS java
COPY --from=jre /opt/jre /opt/jre
COPY --from=jar /opt/aeron/aeron-all.jar /opt/aeron/aeron-all.jar
WORKDIR /tmp
ENTRYPOINT ["/opt/jre/bin/java"]
