package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain guards against the test binary running as a detached hbd.
// `hbd start` (and reload when hbd is stopped) re-executes os.Executable
// with os.Args, which in a test is this binary with its -test.* flags: the
// copy would run the tests again, which start again, recursively (a fork
// bomb took the machine down once). A copy started with the detach marker
// exits at once without running any test, so every start a test provokes
// costs at most one short-lived child and the calling test sees a failed
// start (not exit 6) instead.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(detachEnv); ok {
		fmt.Fprintln(os.Stderr, "hbd test binary re-executed as a detached daemon: refusing (a test reached daemon.Detach)")
		os.Exit(97)
	}
	os.Exit(m.Run())
}
