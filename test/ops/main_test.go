package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binDirEnv names a directory of prebuilt hbd and ldirectord to test
// instead of building them (OPS_BINDIR=$PWD/bin after make build).
const binDirEnv = "OPS_BINDIR"

// Paths shared by every test, set by TestMain.
var (
	repoRoot string // the module root (Makefile, etc/, cmd/)
	binDir   string // freshly built hbd and ldirectord
)

func TestMain(m *testing.M) {
	if os.Getenv(standinEnv) != "" {
		os.Exit(standinMain())
	}
	os.Exit(setupAndRun(m))
}

func setupAndRun(m *testing.M) int {
	root, err := filepath.Abs("../..")
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "go.mod"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ops: finding the module root:", err)
		return 1
	}
	repoRoot = root
	if dir := os.Getenv(binDirEnv); dir != "" {
		binDir = dir // prebuilt, e.g. by make build
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "ops-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ops:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	for _, name := range []string{"hbd", "ldirectord"} {
		if err := build(root, name, filepath.Join(dir, name)); err != nil {
			fmt.Fprintln(os.Stderr, "ops:", err)
			return 1
		}
	}
	return m.Run()
}

// build compiles ./cmd/name as `make build` does.
func build(root, name, out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./cmd/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", name, err, b)
	}
	return nil
}

// result is what one command did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// cmdTimeout bounds every script and make run; stop of a daemon that hangs
// would otherwise hang the test.
const cmdTimeout = 2 * time.Minute

// runCmd runs argv with exactly env (plus a PATH) in dir and returns its
// exit code and output. Failing to run at all fails the test.
func runCmd(t *testing.T, dir string, env []string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var xe *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &xe) && ctx.Err() == nil:
		r.code = xe.ExitCode()
	default:
		t.Fatalf("running %s: %v\n%s", strings.Join(argv, " "), err, r)
	}
	return r
}

// goEnv is what make needs to run the go command (make man renders the
// pages with `go tool go-md2man`): GO naming this test's go binary, HOME
// and the GO* variables (cache, module cache, proxy, flags).
func goEnv(t *testing.T) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("make needs the go command: %v", err)
	}
	env := []string{"GO=" + gobin, "HOME=" + os.Getenv("HOME")}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") && !strings.HasPrefix(kv, "GO=") {
			env = append(env, kv)
		}
	}
	return env
}

// writeFile writes text to path with mode, creating its directory.
func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or limit passes; it reports whether
// cond held. For observing a real daemon from outside, never for ordering
// events inside a process.
func waitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exists reports whether path exists (without following a final symlink).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
