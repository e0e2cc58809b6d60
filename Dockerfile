# gatesctl in a container: only the static binary and the CA certificates, on scratch.
#
#   docker build -t gatesctl .                     # from source (the default, last stage)
#   docker run --rm -v "$PWD:/work" -e DD_API_KEY -e DD_APP_KEY gatesctl plan
#
# The release workflow builds the `prebuilt` stage from its own static binaries instead
# (dist/amd64/gatesctl, dist/arm64/gatesctl), so both architectures come without emulation.
#
# Base images are pinned by digest (the tag says which release it is); gatesctl runs as an
# unprivileged user (65532). Commands that write into the mounted folder (import, plan --out,
# --sandbox) need `--user "$(id -u):$(id -g)"`.

FROM --platform=$BUILDPLATFORM alpine:3.21.3@sha256:a8560b36e8b8210634f77d9f7f9efd7ffa463e380b75e2e74aff4511df3ef88c AS certs
RUN apk add --no-cache ca-certificates

FROM scratch AS prebuilt
ARG TARGETARCH
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY dist/${TARGETARCH}/gatesctl /gatesctl
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/gatesctl"]

FROM rust:1.89-alpine@sha256:4b800f2e72e04be908e5f634c504c741bd943b763d1d8ad7b096cc340e1b5b46 AS build
# gcc and musl-dev: SQLite (bundled) and mimalloc are C.
RUN apk add --no-cache gcc musl-dev
WORKDIR /src
COPY . .
# `--version` names the commit: `docker build --build-arg GATESCTL_COMMIT=$(git rev-parse --short=12 HEAD)`.
ARG GATESCTL_COMMIT=""
RUN cargo build --release --locked && cp target/release/gatesctl /gatesctl

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /gatesctl /gatesctl
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/gatesctl"]
