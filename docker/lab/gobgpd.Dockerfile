# The lab's BGP peer: Debian's gobgpd (and gobgp, its CLI), plus iproute2 to make the lab's interfaces.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends gobgpd iproute2 \
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["gobgpd"]
CMD ["-f", "/etc/gobgp/gobgpd.toml", "-t", "toml"]
