#!/usr/bin/env bash
# Starts N copies of a command the way torch's launchers do (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
# MASTER_PORT; no mpirun), each in the background with its output prefixed by its rank, waits for all of them,
# and fails when any fails (the others are stopped then, rather than left to time out).
# usage: launch_torch_style.sh N COMMAND [ARGS...]   (MASTER_PORT: a free port unless set)
set -u
n=$1
shift
if [[ -z "${MASTER_PORT:-}" ]]; then
  MASTER_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])' 2>/dev/null ||
                echo $((20000 + RANDOM % 30000)))
fi
export MASTER_ADDR=${MASTER_ADDR:-127.0.0.1} MASTER_PORT WORLD_SIZE=$n
unset OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE PMI_RANK PMI_SIZE SLURM_PROCID SLURM_NTASKS
declare -A rank_of
for ((r = 0; r < n; r++)); do
  RANK=$r LOCAL_RANK=$r "$@" > >(sed -u "s/^/[rank $r] /") 2>&1 &
  rank_of[$!]=$r
done
status=0
while ((${#rank_of[@]} > 0)); do
  wait -n -p pid "${!rank_of[@]}"
  rc=$?
  r=${rank_of[$pid]}
  unset "rank_of[$pid]"
  if ((rc != 0 && status == 0)); then
    status=$rc
    echo "launch_torch_style: rank $r exited with status $rc; stopping the others" >&2
    for p in "${!rank_of[@]}"; do kill "$p" 2>/dev/null; done
  fi
done
wait  # the output filters
exit $status
