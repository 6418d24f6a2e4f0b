#!/usr/bin/env bash
# Container health check: asks kvd what a client outside the container would,
# where that client's connection arrives.
#
#  * Port: $KVD_PORT when set, else the TCP port kvd listens on (read from
#    /proc/net/tcp and tcp6: kvd is the container's only listener), else 6379.
#  * Address: a published port reaches the container's own address, never its
#    127.0.0.1. So the check connects to a non-loopback address of the
#    container, and a kvd that listens on loopback only (a config file's
#    `bind 127.0.0.1`) is reported unhealthy, because nobody outside can reach it.
#  * Password: with $REDISCLI_AUTH or $KVD_PASSWORD set, the check sends AUTH
#    and needs +PONG. Without one, -NOAUTH also counts as healthy: kvd is up
#    and answering on the client's path, and the check has no password to give.
#
# Without redis-cli (not in bookworm-slim): RESP over bash's /dev/tcp.
# Usage: docker-healthcheck.sh [port]
set -euo pipefail
export LC_ALL=C # ${#password} counts bytes

# Every TCP listener as "<hex address> <port>" (IPv4 and IPv6, kernel byte order).
listeners() {
  local file sl local_addr rest st
  for file in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $file ]] || continue
    while read -r sl local_addr rest; do
      [[ $sl == sl ]] && continue
      read -r _ st _ <<<"$rest"
      [[ $st == 0A ]] || continue # 0A: LISTEN
      echo "${local_addr%:*} $((16#${local_addr##*:}))"
    done <"$file"
  done
}

is_loopback() { # the hex address of 127.0.0.0/8 or ::1
  [[ $1 == *7F || $1 == 00000000000000000000000001000000 ]]
}

# The container's own addresses that are not loopback (no iproute2 in the image).
own_addresses() {
  awk '/\|--/ {ip = $2} /\/32 host LOCAL/ && ip !~ /^127\./ {print ip}' /proc/net/fib_trie 2>/dev/null |
    sort -u
}

port=${1:-${KVD_PORT:-}}
mapfile -t socks < <(listeners)
if [[ -z $port ]]; then
  port=6379
  [[ ${#socks[@]} -gt 0 ]] && port=${socks[0]##* }
fi

reachable=0 # listening on this port somewhere other than loopback
for s in "${socks[@]}"; do
  [[ ${s##* } == "$port" ]] || continue
  is_loopback "${s%% *}" || reachable=1
done
if [[ ${#socks[@]} -gt 0 && $reachable == 0 ]]; then
  echo "kvd does not listen on a non-loopback address on port $port:" \
    "clients outside the container cannot connect (check bind)" >&2
  exit 1
fi

target=$(own_addresses | head -n 1)
target=${target:-127.0.0.1} # no network (--network none): loopback is all there is

exec 3<>"/dev/tcp/$target/$port"
password=${REDISCLI_AUTH:-${KVD_PASSWORD:-}}
reply() { # one line from kvd, within 2 s (a server that accepts but never answers fails)
  IFS= read -r -t 2 line <&3
  printf '%s' "${line%$'\r'}"
}
if [[ -n $password ]]; then
  # shellcheck disable=SC2016 # $4 and $%d are RESP lengths, not variables
  printf '*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n' "${#password}" "$password" >&3
  [[ $(reply) == +OK ]] || {
    echo "AUTH refused on $target:$port" >&2
    exit 1
  }
fi
# shellcheck disable=SC2016 # $4 is RESP (a 4-byte bulk string), not a variable
printf '*1\r\n$4\r\nPING\r\n' >&3
answer=$(reply)
[[ $answer == +PONG || (-z $password && $answer == -NOAUTH*) ]] || {
  echo "no PONG from $target:$port: $answer" >&2
  exit 1
}
