#!/bin/bash
# Guest boot with runvm-init, inside the KVM test host: kernel entry -> agent up ->
# container created, and VMM start -> boot marker, median of RUNS, plus the size of
# runvm-init. Usage: tests/testhost/run bench/guest-init.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
printf 'runvm-init size: %s bytes (static)\n' "$(stat -c %s build/runvm-init)"
exec tests/agent/run --vm --bench "${1:-7}"
