// Package respawn runs ha.cf's respawn programs as Heartbeat 3.0.6 did
// (heartbeat/heartbeat.c start_a_child_client, ManagedChildDied): each one
// as `/bin/sh -c "exec COMMAND"` under the named user's uid, gid and
// groups, in its own process group, with stdin/stdout/stderr on /dev/null
// and the HA_ environment; restarted when it exits, unless it exits 100;
// restarted after a 1 s pause when it ran less than 30 s, and no longer
// restarted ("respawning too fast") when that happens more than 10 times in
// a row; stopped with SIGTERM to its process group on shutdown.
//
// policy.go is pure (the restart decision, with the times passed in);
// exec.go starts and signals the processes; supervisor.go runs one
// goroutine per program.
package respawn
