# syntax=docker/dockerfile:1
# Image of the zitadel-user-operator controller.
#   docker build -t zitadel-user-operator:dev .
#
# Stage 1 builds the release binary with the pinned Rust toolchain. aws-lc-sys (TLS crypto) compiles
# its C sources with the image's gcc; no cmake or clang is needed on linux x86_64/aarch64.
FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the crate registry and the target directory between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin zitadel-user-operator \
    && cp target/release/zitadel-user-operator /zitadel-user-operator

# Stage 2: distroless "cc" (glibc, libgcc, CA certificates; no shell, no package manager).
# Not "static": the binary links glibc dynamically, because aws-lc-rs is built against the
# toolchain's glibc. Both stages are Debian 12 (bookworm), so the glibc versions match.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /zitadel-user-operator /zitadel-user-operator
# 65532 = distroless "nonroot"; the chart's securityContext runs as the same user.
USER 65532:65532
# /metrics, /healthz, /readyz
EXPOSE 8080
ENTRYPOINT ["/zitadel-user-operator"]
