# kvd container image.
#
#   docker build -t kvd .                              (or: podman build --format docker -t kvd .)
#   docker run -d -p 6379:6379 -v kvd-data:/data kvd    # all interfaces, protected mode off,
#                                                       # redis-server's save points into /data
#   docker run -d -p 6379:6379 kvd --requirepass secret # extra flags go to kvd
#   docker run -d -v "$PWD/my.conf:/etc/kvd/my.conf:ro" kvd /etc/kvd/my.conf
#
# /etc/kvd/kvd.conf is the commented default config (it binds 127.0.0.1 only, as
# redis.conf does): copy it, edit bind/protected-mode, and pass your copy.
# The health check finds kvd's port itself and connects the way a client of
# the published port does (scripts/docker-healthcheck.sh); set KVD_PORT to
# pick the port, and REDISCLI_AUTH (or KVD_PASSWORD) to have it authenticate.

# ---------------------------------------------------------------- build --
FROM debian:bookworm AS build

# The libraries scripts/test installs for the server itself (the test-only
# ones, GoogleTest and hiredis, are left out: tests are off here). This layer
# changes only when this list does.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libasio-dev libspdlog-dev libcli11-dev libjemalloc-dev libssl-dev liburing-dev \
      liblua5.1-0-dev lua-cjson-dev lua-bitop-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the build reads, the build description first: editing the docs,
# tests or scripts reuses the compiled layer below.
COPY CMakeLists.txt ./
COPY include ./include
COPY src ./src
# -j"$(nproc)" rather than a bare -j: unbounded make jobs can exhaust memory.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DKVD_TESTS=OFF \
 && cmake --build build -j"$(nproc)" --target kvd

# -------------------------------------------------------------- runtime --
FROM debian:bookworm-slim

# uid/gid 999 like the official redis image, so a /data volume can move
# between the two without re-chowning.
RUN groupadd --system --gid 999 kvd \
 && useradd --system --uid 999 --gid kvd --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin kvd

# Only what `ldd build/kvd` needs beyond the base image (libstdc++6, libgcc-s1
# and libc6 are already there). setpriv for the entrypoint is in util-linux,
# which is essential in bookworm-slim.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libspdlog1.10 libfmt9 libjemalloc2 libssl3 liburing2 liblua5.1-0 lua-cjson lua-bitop \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /src/build/kvd /usr/local/bin/kvd
COPY conf/kvd.conf /etc/kvd/kvd.conf
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY scripts/docker-healthcheck.sh /usr/local/bin/docker-healthcheck.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh /usr/local/bin/docker-healthcheck.sh \
 && mkdir /data \
 && chown kvd:kvd /data

VOLUME /data
WORKDIR /data
EXPOSE 6379

# No redis-cli in the slim image: the check speaks RESP over bash's /dev/tcp.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["docker-healthcheck.sh"]

# Starts as root so the entrypoint can chown a mounted /data, then drops to
# the kvd user with setpriv (see scripts/docker-entrypoint.sh).
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["kvd"]
