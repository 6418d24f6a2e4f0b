#!/usr/bin/env bash
# Container health check without redis-cli (not in bookworm-slim): sends PING
# over bash's /dev/tcp and succeeds when kvd answers +PONG. A -NOAUTH answer
# (requirepass set) also counts: the server is up and speaking RESP, and the
# health check should not need the password.
# Usage: docker-healthcheck.sh [port]   (default $KVD_PORT, else 6379)
set -euo pipefail

port=${1:-${KVD_PORT:-6379}}
exec 3<>"/dev/tcp/127.0.0.1/$port"
# shellcheck disable=SC2016 # $4 is RESP (a 4-byte bulk string), not a variable
printf '*1\r\n$4\r\nPING\r\n' >&3
# A server that accepts but never answers fails after 2 s instead of hanging
# until Docker's own timeout.
IFS= read -r -t 2 reply <&3
reply=${reply%$'\r'}
[[ $reply == +PONG || $reply == -NOAUTH* ]]
