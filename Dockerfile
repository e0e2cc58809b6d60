# gatesctl in a container: only the static binary and the CA certificates, on scratch.
#
#   docker build -t gatesctl .                     # from source (the default, last stage)
#   docker run --rm -v "$PWD:/work" -e DD_API_KEY -e DD_APP_KEY gatesctl plan
#
# The release workflow builds the `prebuilt` stage from its own static binaries instead
# (dist/amd64/gatesctl, dist/arm64/gatesctl), so both architectures come without emulation.

FROM --platform=$BUILDPLATFORM alpine:3 AS certs
RUN apk add --no-cache ca-certificates

FROM scratch AS prebuilt
ARG TARGETARCH
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY dist/${TARGETARCH}/gatesctl /gatesctl
WORKDIR /work
ENTRYPOINT ["/gatesctl"]

FROM rust:1-alpine AS build
# gcc and musl-dev: SQLite (bundled) and mimalloc are C.
RUN apk add --no-cache gcc musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked && cp target/release/gatesctl /gatesctl

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /gatesctl /gatesctl
WORKDIR /work
ENTRYPOINT ["/gatesctl"]
