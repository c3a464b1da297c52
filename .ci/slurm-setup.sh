#!/usr/bin/env bash
# A single-node Slurm cluster on this host, for the cluster test (CI) and for trying the slurm
# profile on a workstation. Installs slurm-wlm and munge from Debian's packages, writes a minimal
# slurm.conf (no cgroups, no accounting database), starts munged, slurmctld and slurmd directly
# (no systemd) and waits until the node is idle and `srun hostname` works.
# Idempotent: installed packages are not reinstalled, running daemons with an unchanged
# configuration are left alone. Needs root.
#   bash .ci/slurm-setup.sh            # prints the timing of every step
# Settings (environment): SLURM_CPUS (default: nproc), SLURM_MEM_MB (default: 20000, at most
# 85 % of the host's memory), SLURM_PARTITION (default: main).
set -euo pipefail

t0=$(date +%s)
log() { echo "[slurm-setup +$(($(date +%s) - t0))s] $*"; }
die() {
	echo "[slurm-setup] ERROR: $*" >&2
	for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log /var/log/munge/munged.log; do
		[[ -f $f ]] && {
			echo "--- tail $f" >&2
			tail -n 20 "$f" >&2
		}
	done
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "run as root (installs packages and starts daemons)"

NODE=$(hostname -s)
CPUS=${SLURM_CPUS:-$(nproc)}
host_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
MEM_MB=${SLURM_MEM_MB:-20000}
((MEM_MB <= host_mb * 85 / 100)) || MEM_MB=$((host_mb * 85 / 100))
PARTITION=${SLURM_PARTITION:-main}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf

# --- 1. packages -----------------------------------------------------------------------------
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
	command -v munged >/dev/null; then
	log "slurm and munge already installed ($(slurmctld -V))"
else
	log "installing slurm-wlm and munge"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
	log "installed $(slurmctld -V)"
fi

# --- 2. munge ----------------------------------------------------------------------------------
install -d -o munge -g munge -m 0700 /etc/munge
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
if [[ ! -s /etc/munge/munge.key ]]; then
	log "creating the munge key"
	mungekey --create --force --keyfile /etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	log "munged already running"
else
	log "starting munged"
	runuser -u munge -- /usr/sbin/munged --force
	for _ in $(seq 50); do
		munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
		sleep 0.2
	done
	munge -n | unmunge >/dev/null || die "munged does not answer"
fi

# --- 3. slurm.conf -----------------------------------------------------------------------------
install -d -m 0755 "$CONF_DIR" /var/log/slurm /var/lib/slurm /var/lib/slurm/slurmctld \
	/var/lib/slurm/slurmd /run/slurm
new_conf=$(
	cat <<CONF
# Written by .ci/slurm-setup.sh: a single-node test cluster (no cgroups, no accounting DB).
ClusterName=hfreuse
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1000
ReturnToService=2
# Finished jobs stay visible to squeue for 10 minutes: without an accounting database the
# Snakemake executor plugin reads job states with squeue (--slurm-status-command squeue).
MinJobAge=600
# Short scheduling latency for short jobs.
SchedulerParameters=sched_interval=2
SlurmdParameters=config_overrides
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM_MB} State=UNKNOWN
PartitionName=${PARTITION} Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
CONF
)

running() { # running <pidfile>: the daemon of that pid file is alive (not a reused pid)
	local pid
	[[ -s $1 ]] && pid=$(cat "$1") && kill -0 "$pid" 2>/dev/null &&
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$(basename "$1" .pid)" ]]
}

if [[ -f $CONF ]] && [[ $(cat "$CONF") == "$new_conf" ]]; then
	log "slurm.conf unchanged ($CONF)"
else
	if running /run/slurm/slurmctld.pid || running /run/slurm/slurmd.pid; then
		log "slurm.conf changed: stopping the running daemons"
		scontrol shutdown >/dev/null 2>&1 || true
		for _ in $(seq 50); do
			running /run/slurm/slurmctld.pid || running /run/slurm/slurmd.pid || break
			sleep 0.2
		done
	fi
	printf '%s\n' "$new_conf" >"$CONF"
	log "wrote $CONF (node $NODE: $CPUS CPUs, $MEM_MB MB, partition $PARTITION)"
fi

# --- 4. daemons --------------------------------------------------------------------------------
if running /run/slurm/slurmctld.pid; then
	log "slurmctld already running"
else
	log "starting slurmctld"
	# -c: start with a clean state (a test cluster keeps no jobs across restarts)
	slurmctld -c || die "slurmctld did not start"
fi
if running /run/slurm/slurmd.pid; then
	log "slurmd already running"
else
	log "starting slurmd"
	slurmd -N "$NODE" || die "slurmd did not start"
fi

# --- 5. wait for an idle node and a working srun ----------------------------------------------
state=""
for i in $(seq 120); do
	state=$(sinfo -h -n "$NODE" -o '%t' 2>/dev/null || true)
	case $state in
	idle | mix | alloc) break ;;
	drain* | drng* | down)
		# drained or down without '*' (slurmd answers): put the node back in service
		scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
		;;
	esac
	sleep 0.5
done
[[ $state == idle || $state == mix || $state == alloc ]] || die "node $NODE is '$state', not idle"
log "node $NODE is $state"

out=$(timeout 120 srun -N1 -n1 -t 1 hostname) || die "srun hostname failed"
log "srun hostname -> $out"
sinfo
log "single-node Slurm ready in $(($(date +%s) - t0)) s"
