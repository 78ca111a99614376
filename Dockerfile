# Reserva in a container: a static binary (pure-Go SQLite, no cgo) on a distroless base, run as
# a non-root user, data in the /pb_data volume.
#
#   docker build -t reserva .
#   # local, or behind a reverse proxy:
#   docker run -p 8090:8090 -v reserva-data:/pb_data reserva
#   # on the open internet, with its own certificates (ports 80 and 443):
#   docker run -p 80:80 -p 443:443 -v reserva-data:/pb_data \
#     -e RESERVA_ENCRYPTION_KEY=... \
#     reserva serve booking.example.com --dir /pb_data --acme-email you@example.com
#
# The health check probes what serve recorded in /pb_data (HTTPS with the domain as the TLS server
# name, or the plain listener), whichever way the container is started.
#
# Docker 20.10+ lets a non-root process bind ports below 1024 inside a container.
FROM golang:1.27-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/reserva . \
 && mkdir -p /out/pb_data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/reserva /reserva
COPY --from=build --chown=65532:65532 /out/pb_data /pb_data
USER 65532:65532
VOLUME /pb_data
EXPOSE 80 443 8090
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 CMD ["/reserva", "healthcheck", "--dir", "/pb_data"]
ENTRYPOINT ["/reserva"]
CMD ["serve", "--http", "0.0.0.0:8090", "--dir", "/pb_data"]
