#!/usr/bin/env bash
# Container entrypoint, following the official Redis image's rules:
#
#  * `docker run kvd`                     -> kvd on all interfaces, protected mode off
#  * `docker run kvd --maxclients 100`    -> the same, with the extra flags
#  * `docker run kvd /path/my.conf ...`   -> kvd reads my.conf; its bind and
#                                            protected-mode settings are respected
#  * `docker run kvd bash`                -> runs bash (any other command)
#
# When started as root (the default), /data is handed to the kvd user and the
# server runs as kvd (uid 999) via setpriv. We drop privileges here instead of
# using `USER kvd` in the Dockerfile so that a root-owned volume mounted on
# /data still works: only root can chown it. setpriv is part of util-linux,
# which is essential in debian:bookworm-slim, so no gosu/su-exec is needed.
# `docker run --user ...` skips both steps and runs kvd as that user.
set -euo pipefail

# Private by default (kept across setpriv/exec): nothing kvd writes (logs, pid
# files, sockets) needs to be readable by other users.
if [[ $(umask) == 0022 ]]; then
  umask 0077
fi

# A first argument that is a flag or a *.conf file means "arguments for kvd".
if [[ $# -eq 0 || $1 == -* || $1 == *.conf ]]; then
  set -- kvd "$@"
fi

if [[ $1 == kvd ]]; then
  shift
  # No config file (no arguments, or they start with a flag): a container is
  # reached through its published port, never from 127.0.0.1, so listen on
  # every interface and turn protected mode off, as the Redis image does (it
  # changes the built-in defaults to the same effect). "-::" makes IPv6
  # optional: startup continues when the container has no IPv6.
  # User flags come last, so `--bind` or `--protected-mode yes` still win.
  if [[ $# -eq 0 || $1 == -* ]]; then
    set -- --bind "*" "-::" --protected-mode no "$@"
  fi
  set -- kvd "$@"

  if [[ $(id -u) == 0 ]]; then
    find . \! -user kvd -exec chown kvd:kvd '{}' +
    exec setpriv --reuid=kvd --regid=kvd --init-groups "$@"
  fi
fi

exec "$@"
