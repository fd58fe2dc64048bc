package daemon

import (
	"os"
	"runtime"
)

// OneProc runs the calling daemon's Go code on one P unless the environment
// sets GOMAXPROCS. hbd's and ldirectord's work is each one loop fed by
// socket readers (the heartbeat engine; the check engine's epoll loop); a
// second P only moves goroutines between threads, and each move is a
// wake-up the kernel charges. Measured (issue 14): hbd's idle pair at
// keepalive 10 ms, 40 against 54 ms of CPU per second, 21 % fewer
// syscalls (bench/failover); ldirectord's CPU per check 15-20 % lower at
// N=100 and N=1000 in the VM bench. Only a main calls it (and the bench's
// copy of ldirectord's).
func OneProc() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}
