# syntax=docker/dockerfile:1
# fal-mcp: a multi-stage build with a cached dependency layer (cargo-chef) and a distroless,
# non-root runtime. The binary is its own health probe: distroless has no shell or curl.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-trixie AS chef
RUN cargo install --locked cargo-chef@0.1.78
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin fal-mcp \
 && install -D -m 0755 target/release/fal-mcp /out/fal-mcp

FROM gcr.io/distroless/cc-debian13:nonroot AS runtime
COPY --from=builder /out/fal-mcp /usr/local/bin/fal-mcp
ENV HOST=0.0.0.0 \
    PORT=8080 \
    FAL_MCP_LOG_FORMAT=json
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/fal-mcp", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/fal-mcp"]
CMD ["serve"]
