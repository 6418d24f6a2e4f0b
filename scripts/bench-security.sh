# The tls and acl sections of scripts/bench (sourced by it; uses its
# must_start, bench_one, stat_of, ratio and RESULTS).
#
#  tls  kvd and redis-server each with a tls-port beside the plain one, the
#       same certificates (a throwaway CA made with openssl, client
#       certificates required as Redis's default says), redis-benchmark --tls
#       -t set,get -c 50 at -P 16 and -P 1; rps, p50, and server CPU seconds
#       per million requests. At -P 1 redis-benchmark's own core is the limit
#       on a 2-core machine: compare CPU per request there.
#  acl  -t set,get -c 50 -P 16 on each server, as the default user and as a
#       user with 10 key patterns (the last one matching the benchmark's
#       keys), interleaved: what the permission check costs per request.

TLS_TESTS=set,get
TLS_PIPELINES=16,1

make_bench_certs() {
  local d=$1
  mkdir -p "$d"
  (
    cd "$d" || exit 1
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 2 -subj '/CN=bench CA' \
      -keyout ca.key -out ca.crt
    for n in server client; do
      openssl req -new -nodes -newkey rsa:2048 -subj "/CN=$n" -keyout "$n.key" -out "$n.csr"
      openssl x509 -req -sha256 -days 2 -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
        -out "$n.crt"
    done
  ) >/dev/null 2>&1 || die "openssl could not make the benchmark certificates"
}

run_tls() {
  local d=$WORK/tls round pipeline test name tport
  command -v openssl >/dev/null || die "the tls section needs the openssl tool"
  make_bench_certs "$d"
  echo
  echo "== tls runs: redis-benchmark --tls -c 50 -P {$TLS_PIPELINES} -n $REQUESTS, $ROUNDS round(s), tests $TLS_TESTS"
  for name in kvd redis; do
    tport=$(free_port "$((PORT_BASE + 50))")
    local bin=$KVD_BIN
    [[ $name == redis ]] && bin=$REDIS_BIN
    must_start "$name" "$bin" --tls-port "$tport" --tls-cert-file "$d/server.crt" \
      --tls-key-file "$d/server.key" --tls-ca-cert-file "$d/ca.crt"
    TARGET_PORT[$name]=$tport
  done
  BENCH_EXTRA=(--tls --cacert "$d/ca.crt" --cert "$d/client.crt" --key "$d/client.key")
  for ((round = 1; round <= ROUNDS; round++)); do
    echo "round $round/$ROUNDS..."
    for pipeline in ${TLS_PIPELINES//,/ }; do
      for test in ${TLS_TESTS//,/ }; do
        if ((round % 2)); then
          bench_one kvd 50 "$pipeline" "tls-$test"
          bench_one redis 50 "$pipeline" "tls-$test"
        else
          bench_one redis 50 "$pipeline" "tls-$test"
          bench_one kvd 50 "$pipeline" "tls-$test"
        fi
      done
    done
  done
  BENCH_EXTRA=()
  unset 'TARGET_PORT[kvd]' 'TARGET_PORT[redis]'
  stop_server kvd
  stop_server redis
}

print_tls() {
  local pipeline test t kr rr kc rc
  echo
  echo "== tls (median of $ROUNDS rounds; rps ratio kvd/redis above 1 = kvd faster;"
  echo "   cpu = server CPU s per million requests, ratio below 1 = kvd cheaper)"
  for pipeline in ${TLS_PIPELINES//,/ }; do
    echo
    echo "-c 50 -P $pipeline"
    printf '%-8s %10s %10s %6s %8s %8s %9s %9s %6s\n' test kvd_rps redis_rps ratio kvd_p50 rds_p50 \
      kvd_s/M redis_s/M ratio
    for test in ${TLS_TESTS//,/ }; do
      t=tls-$test
      kr=$(stat_of kvd 50 "$pipeline" "$t" 5)
      rr=$(stat_of redis 50 "$pipeline" "$t" 5)
      kc=$(stat_of kvd 50 "$pipeline" "$t" 8)
      rc=$(stat_of redis 50 "$pipeline" "$t" 8)
      printf '%-8s %10s %10s %6s %8s %8s %9s %9s %6s\n' "$test" "$kr" "$rr" "$(ratio "$kr" "$rr")" \
        "$(stat_of kvd 50 "$pipeline" "$t" 6)" "$(stat_of redis 50 "$pipeline" "$t" 6)" \
        "$kc" "$rc" "$(ratio "$kc" "$rc")"
    done
  done
  print_failures
}

# The ACL user: nine patterns that never match, then one that does
# (redis-benchmark's keys are key:__rand_int__).
ACL_USER_RULES=(on '>benchpw' '~user:*' '~session:*' '~cache:*' '~queue:*' '~lock:*' '~rate:*'
  '~feed:*' '~tmp:*' '~stats:*' '~key:*' '+@all')

run_acl() {
  local round test name who
  echo
  echo "== acl runs: -c 50 -P 16 -n $REQUESTS, $ROUNDS round(s), tests $TLS_TESTS, default user vs a 10-pattern user"
  must_start kvd "$KVD_BIN"
  must_start redis "$REDIS_BIN"
  for name in kvd redis; do
    cli "$name" ACL SETUSER bench "${ACL_USER_RULES[@]}" >/dev/null
  done
  for ((round = 1; round <= ROUNDS; round++)); do
    echo "round $round/$ROUNDS..."
    for test in ${TLS_TESTS//,/ }; do
      for who in default user; do
        if [[ $who == user ]]; then BENCH_EXTRA=(--user bench -a benchpw); else BENCH_EXTRA=(); fi
        for name in kvd redis; do
          bench_one "$name" 50 16 "acl-$who-$test"
        done
      done
    done
  done
  BENCH_EXTRA=()
  stop_server kvd
  stop_server redis
}

print_acl() {
  local test name d u
  echo
  echo "== acl (median rps of $ROUNDS rounds, -c 50 -P 16; ratio user/default, 1.00 = the check costs nothing)"
  printf '%-8s %-6s %12s %12s %6s\n' test server default_rps acl_user_rps ratio
  for test in ${TLS_TESTS//,/ }; do
    for name in kvd redis; do
      d=$(stat_of "$name" 50 16 "acl-default-$test" 5)
      u=$(stat_of "$name" 50 16 "acl-user-$test" 5)
      printf '%-8s %-6s %12s %12s %6s\n' "$test" "$name" "$d" "$u" "$(ratio "$u" "$d")"
    done
  done
  print_failures
}
