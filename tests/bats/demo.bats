#!/usr/bin/env bats
# scripts/demo, the README's first command (`make demo`): inside the test host it
# runs its busybox container in a microVM directly and prints the container's
# output and the cold-start time.

load helpers

@test "scripts/demo runs its busybox container and prints its output and the cold start" {
	need_kvm
	run timeout 300 "$ROOT/scripts/demo"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from a runvm microVM"* ]]
	[[ "$output" == *"exit status 0; cold start to exit: "*" s"* ]]
	! ls -d /tmp/runvm-demo.* 2>/dev/null
}
