package director

// This file runs external programs (fallbackcommand).

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// ExecCommand runs argv and waits for it; a non-zero exit is an error that
// carries the program's combined output.
func ExecCommand(ctx context.Context, argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("run command: empty argv")
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("run %s: %w: %s", argv[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}
