#!/bin/sh
# Sobol' indices of the three built-in episodes over the shared model's
# parameters (their ranges: the priors of validation/model-fit/plan.toml).
# Resumable: rerun the same command and it continues from its journal.
# Usage: validation/sensitivity/run.sh [path to the unrest binary]
set -e
cd "$(dirname "$0")/../.."
UNREST=${1:-target/release/unrest}
# The scale is coarsened about five-fold from each episode's own (100, 100,
# 250) to fit the time: 1:500, 1:500, 1:1000.
for run in kazakhstan-2022:500 belarus-2020:500 euromaidan-2014:1000; do
    episode=${run%:*}
    "$UNREST" sensitivity "$episode" \
        --params-from validation/model-fit/plan.toml \
        --n 32 --seeds 1 --seed 1 --bootstrap 200 \
        --set "scale=${run#*:}" \
        --out "validation/sensitivity/$episode"
done
