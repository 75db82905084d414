# Multi-stage build: a static binary per command on a distroless base, run
# as a non-root user. Build one image with all commands; pick one with the
# container's command (extract, forward, detect, report, inventory, mcp, pigment-sim).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION is the product version report states (docker build --build-arg VERSION=1.4.0).
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/ ./cmd/... && mkdir -p /data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
# /data is where the file sink writes in docker-compose.yml: a named volume
# mounted there takes this directory's owner, so nonroot can write to it.
COPY --from=build --chown=nonroot:nonroot /data /data
USER nonroot:nonroot
ENTRYPOINT []
CMD ["extract", "run"]
