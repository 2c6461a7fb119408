# Run several long-lived commands side by side and stop them all together (sourced by run.sh).
#
#   supervise "cmd one" "cmd two" …
#
# Each command runs in the background; the shell waits. SIGINT/SIGTERM/SIGHUP to the shell —
# Ctrl-C in the terminal or `kill <pid of run.sh>` — and the exit of any one command both
# stop every command still running (TERM, then KILL after SUPERVISE_GRACE seconds), so
# nothing is left behind. The exit status is that of the first command to end (or 143/130).

supervise() {
  local pids=() cmd status=0
  _supervise_stop() {
    local pid
    trap - INT TERM HUP
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    local waited=0
    while [ "$waited" -lt "$(( ${SUPERVISE_GRACE:-10} * 10 ))" ]; do
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
      waited=$((waited + 1))
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  }
  trap '_supervise_stop; exit 130' INT
  trap '_supervise_stop; exit 143' TERM HUP
  for cmd in "$@"; do
    bash -c "exec $cmd" &
    pids+=("$!")
  done
  if [ "${BASH_VERSINFO[0]}${BASH_VERSINFO[1]}" -ge 51 ] && [ -z "${SUPERVISE_POLL:-}" ]; then
    # `wait -n` returns when the first command ends, or at once when a trapped signal arrives
    wait -n "${pids[@]}" || status=$?
  else
    # older bash (macOS ships 3.2): look twice a second; `wait` on the sleep lets traps run
    local running=1 pid
    while [ "$running" = 1 ]; do
      for pid in "${pids[@]}"; do
        if ! kill -0 "$pid" 2>/dev/null; then
          wait "$pid" || status=$?
          running=0
          break
        fi
      done
      if [ "$running" = 1 ]; then sleep 0.5 & wait $! 2>/dev/null || true; fi
    done
  fi
  _supervise_stop
  return "$status"
}
