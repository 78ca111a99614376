# Reserva in a container: a static binary (pure-Go SQLite) on a distroless base.
#   docker build -t reserva .
#   docker run -p 8090:8090 -v reserva-data:/data reserva serve --http 0.0.0.0:8090 --dir /data
FROM golang:1.27-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/reserva .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/reserva /reserva
VOLUME /data
EXPOSE 8090
ENTRYPOINT ["/reserva"]
CMD ["serve", "--http", "0.0.0.0:8090", "--dir", "/data"]
