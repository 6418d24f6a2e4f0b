# The repl section of scripts/bench (sourced by it; uses its must_start,
# start_server, bench_one, stat_of, ratio, median, cli and RESULTS).
#
#  repl  each server as a master with one replica of its own kind attached
#        (kvd -> kvd, redis-server -> redis-server, same flags):
#        redis-benchmark -t set,incr,lpush,hset -c 50 -P 16 against the
#        master, rps and the master's CPU per request; then a full sync of
#        REPL_KEYS keys to a new, empty replica, disk-based and diskless
#        (repl-diskless-sync-delay 0 so that neither waits for more
#        replicas): seconds from REPLICAOF until the replica has loaded
#        everything, and the master's longest PING round trip meanwhile
#        (scripts/sync-pause).

REPL_TESTS=set,incr,lpush,hset
REPL_KEYS=5000000

# Starts NAME-replica replicating from NAME's master and waits for the link.
start_replica() {
  local name=$1 bin=$2 i
  must_start "$name-replica" "$bin" --replicaof 127.0.0.1 "${PORT[$name]}"
  for ((i = 0; i < 300; i++)); do
    [[ $(cli "$name-replica" INFO replication | tr -d '\r' | grep '^master_link_status:') == \
      master_link_status:up ]] && return 0
    sleep 0.1
  done
  die "$name's replica did not connect to its master"
}

server_bin() {
  if [[ $1 == kvd ]]; then echo "$KVD_BIN"; else echo "$REDIS_BIN"; fi
}

run_repl() {
  local round test name mode saved=$RESULTS
  echo
  echo "== repl runs: master + 1 replica, -c 50 -P 16 -n $REQUESTS, tests $REPL_TESTS, $ROUNDS round(s);"
  echo "   full sync of $REPL_KEYS keys, disk and diskless"
  RESULTS=$WORK/repl
  for name in kvd redis; do
    must_start "$name" "$(server_bin "$name")"
    start_replica "$name" "$(server_bin "$name")"
  done
  for ((round = 1; round <= ROUNDS; round++)); do
    echo "round $round/$ROUNDS..."
    for test in ${REPL_TESTS//,/ }; do
      if ((round % 2)); then
        bench_one kvd 50 16 "$test"
        bench_one redis 50 16 "$test"
      else
        bench_one redis 50 16 "$test"
        bench_one kvd 50 16 "$test"
      fi
    done
  done
  for name in kvd redis; do
    stop_server "$name-replica"
    stop_server "$name"
  done
  RESULTS=$saved
  ((REPL_KEYS > 0)) || return 0
  for ((round = 1; round <= ROUNDS; round++)); do
    for mode in disk diskless; do
      for name in kvd redis; do
        must_start "$name" "$(server_bin "$name")" --enable-debug-command yes \
          --repl-diskless-sync "$([[ $mode == diskless ]] && echo yes || echo no)" \
          --repl-diskless-sync-delay 0
        must_start "$name-replica" "$(server_bin "$name")"
        # Prints "keys: N  sync: X s  longest master PING round trip during it: Y ms ...".
        if run_client "$WORK/sync.out" "$WORK/err" "$ROOT/scripts/sync-pause" \
          --master "${PORT[$name]}" --replica "${PORT[$name-replica]}" --keys "$REPL_KEYS" &&
          grep -q 'longest master PING' "$WORK/sync.out"; then
          sed -E 's/.*sync: ([0-9.]+) s.*during it: ([0-9.]+) ms.*/\1 \2/' "$WORK/sync.out" |
            sed "s/^/$name $mode /" >>"$WORK/sync"
        else
          echo "$name $mode FAIL FAIL" >>"$WORK/sync"
          note_failure "$name $mode full sync"
        fi
        stop_server "$name-replica"
        stop_server "$name"
      done
    done
  done
}

print_repl() {
  local test kr rr kc rc mode col label k r saved=$RESULTS
  echo
  echo "== repl (median of $ROUNDS rounds; master with one replica; -c 50 -P 16 -n $REQUESTS;"
  echo "   rps ratio kvd/redis above 1 = kvd faster; cpu = master CPU s per million requests)"
  RESULTS=$WORK/repl
  printf '%-8s %10s %10s %6s %8s %8s %6s\n' test kvd_rps redis_rps ratio kvd_cpu rds_cpu ratio
  for test in ${REPL_TESTS//,/ }; do
    kr=$(stat_of kvd 50 16 "$test" 5)
    rr=$(stat_of redis 50 16 "$test" 5)
    kc=$(stat_of kvd 50 16 "$test" 8)
    rc=$(stat_of redis 50 16 "$test" 8)
    printf '%-8s %10s %10s %6s %8s %8s %6s\n' "$test" "$kr" "$rr" "$(ratio "$kr" "$rr")" \
      "$kc" "$rc" "$(ratio "$kc" "$rc")"
  done
  RESULTS=$saved
  if [[ -s $WORK/sync ]]; then
    echo
    echo "full sync of $REPL_KEYS keys to an empty replica (scripts/sync-pause; fresh servers; median of $ROUNDS rounds)"
    printf '%-9s %-20s %10s %10s %7s\n' mode metric kvd redis ratio
    for mode in disk diskless; do
      for col in 3:sync-seconds 4:longest-master-ping-ms; do
        label=${col#*:} col=${col%%:*}
        k=$(awk -v s=kvd -v m="$mode" -v c="$col" '$1 == s && $2 == m { print $c }' "$WORK/sync" | median)
        r=$(awk -v s=redis -v m="$mode" -v c="$col" '$1 == s && $2 == m { print $c }' "$WORK/sync" | median)
        printf '%-9s %-20s %10s %10s %7s\n' "$mode" "$label" "$k" "$r" "$(ratio "$k" "$r")"
      done
    done
  fi
  print_failures
}
