#!/usr/bin/env bash
# A one-node SLURM cluster on this machine (controller and node on 127.0.0.1), for the cluster tests
# (tests/test_cluster.py) and CI. Debian or Ubuntu, run as root; needs no systemd.
#
#   local_slurm.sh start    install slurm-wlm and munge if missing, write the config, start
#                           munged, slurmctld and slurmd, and wait until the node is idle
#   local_slurm.sh stop     cancel any job left, then stop exactly the daemons start started
#   local_slurm.sh status   the daemons' pids and the node's state; fails if one is stopped
#
# Both start and stop may be repeated. start records each daemon's pid in
# $STATE/<daemon>.started.pid, and stop signals only those pids (while they still run that daemon),
# so it never touches another SLURM or munge on the machine. /etc/slurm/slurm.conf is written only
# if absent or written by this script.
set -euo pipefail

STATE=/var/lib/local-slurm
CONF=/etc/slurm/slurm.conf
MARK="# Written by tests/cluster/local_slurm.sh"
PACKAGES=(slurm-wlm munge)
TIMEOUT=60 # seconds to wait for the node to become idle, or for jobs and daemons to end

die() {
    echo "local_slurm.sh: $*" >&2
    exit 1
}

require_root() {
    [[ $(id -u) == 0 ]] || die "$1 needs root (apt-get, /etc/slurm, daemons run as root and munge)"
}

installed() {
    local tool
    for tool in slurmctld slurmd sinfo munged; do
        command -v "$tool" >/dev/null || return 1
    done
}

install_packages() {
    installed && return
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be missing or stale on a fresh machine: update only when needed.
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" ||
        { apt-get update -q && apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"; }
}

make_munge_key() {
    install -d -o munge -g munge -m 0700 /etc/munge
    install -d -o munge -g munge -m 0755 /run/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        mungekey --create --keyfile=/etc/munge/munge.key
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
}

write_config() {
    if [[ -e $CONF ]] && ! grep -qxF "$MARK" "$CONF"; then
        die "$CONF exists and was not written by this script; not touching a real SLURM setup"
    fi
    local host node
    host=$(hostname -s)
    node=$(slurmd -C | head -n 1) # NodeName=<host> CPUs=... RealMemory=...: this machine
    mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d"
    cat >"$CONF" <<EOF
$MARK
# A one-node test cluster; stop it with tests/cluster/local_slurm.sh stop.
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

pid_file() {
    echo "$STATE/$1.started.pid"
}

# True when the pid that start recorded for daemon $1 still runs that daemon.
running() {
    local file pid
    file=$(pid_file "$1")
    [[ -s $file ]] || return 1
    pid=$(<"$file")
    [[ $(ps -o comm= -p "$pid" 2>/dev/null) == "$1" ]]
}

# Start daemon $1 in the foreground of its own session, with the command line that follows.
start_daemon() {
    local daemon=$1
    shift
    running "$daemon" && return
    setsid "$@" </dev/null >"$STATE/$daemon.out" 2>&1 &
    echo $! >"$(pid_file "$daemon")"
}

node_state() {
    sinfo --noheader --Node --format=%T 2>/dev/null | head -n 1
}

wait_until_idle() {
    local deadline=$((SECONDS + TIMEOUT))
    until [[ $(node_state) =~ ^(idle|mixed|allocated)$ ]]; do
        if ((SECONDS > deadline)); then
            tail -n 20 "$STATE"/*.out "$STATE"/*.log >&2 || true
            die "node not idle after ${TIMEOUT}s (state '$(node_state)'); logs above; then: $0 stop"
        fi
        sleep 0.5
    done
}

start() {
    require_root start
    install_packages
    make_munge_key
    write_config
    start_daemon munged setpriv --reuid=munge --regid=munge --init-groups munged --foreground
    start_daemon slurmctld slurmctld -D -c
    start_daemon slurmd slurmd -D -c
    wait_until_idle
    echo "local SLURM is up: $(sinfo --noheader --Node --format='%N %T, %c CPUs, %m MB')"
}

cancel_jobs() {
    local deadline=$((SECONDS + TIMEOUT))
    squeue --noheader --format=%A | xargs --no-run-if-empty scancel
    while [[ -n $(squeue --noheader --format=%A) ]] && ((SECONDS < deadline)); do
        sleep 0.5
    done
}

# Send SIGTERM to every daemon start started (all at once: each takes a second or two to shut
# down), wait for them to end, then SIGKILL any that did not.
stop_daemons() {
    local daemon pids=() deadline=$((SECONDS + TIMEOUT))
    for daemon in slurmd slurmctld munged; do
        if running "$daemon"; then
            pids+=("$(<"$(pid_file "$daemon")")")
        fi
        rm -f "$(pid_file "$daemon")"
    done
    ((${#pids[@]})) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    while kill -0 "${pids[@]}" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
}

stop() {
    require_root stop
    if running slurmctld; then
        cancel_jobs
    fi
    stop_daemons
}

status() {
    local daemon stopped=0
    for daemon in munged slurmctld slurmd; do
        if running "$daemon"; then
            echo "$daemon: running (pid $(<"$(pid_file "$daemon")"))"
        else
            echo "$daemon: stopped"
            stopped=1
        fi
    done
    if running slurmctld; then
        sinfo
    fi
    return "$stopped"
}

case "${1:-}" in
start | stop | status) "$1" ;;
*) die "usage: $0 start|stop|status" ;;
esac
