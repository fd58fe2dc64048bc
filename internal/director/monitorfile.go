package director

// This file touches the monitorfile: it appends check log lines.

import (
	"fmt"
	"os"
)

// appendCheckLog appends line to path, opening and closing the file each
// time as ldirectord does, so that a rotated file is recreated without a
// signal.
func appendCheckLog(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
