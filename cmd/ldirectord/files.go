package main

// This file touches the files ldirectord.cf names for the daemon to write
// or watch: ld_read_config's monitorfile and maintenancedir checks.

import (
	"fmt"
	"os"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// checkFiles does what ldirectord's parser did on the filesystem: a
// monitorfile that cannot be opened for appending is a config error
// (exit 2, file:line; ldirectord created it too), a maintenancedir that
// is not a directory a warning (the directory is watched, so creating it
// later works).
//
// execute= naming this very configuration is refused (the instance would
// start itself, for ever); one that cannot be found is a warning (its
// start fails at run time, as in ldirectord).
func checkFiles(cfg *ldcf.Config, etc, rundir string) (warnings []ldcf.Error, err error) {
	self, _ := os.Stat(cfg.File)
	for _, child := range cfg.Global.Execute {
		line := cfg.Global.Lines["execute"]
		inst, err := resolveConfig(child, etc, rundir)
		if err != nil {
			warnings = append(warnings, ldcf.Error{File: cfg.File, Line: line, Msg: fmt.Sprintf("execute: configuration %s not found; its instance will not start", child)})
			continue
		}
		if fi, err := os.Stat(inst.config); err == nil && self != nil && os.SameFile(fi, self) {
			return nil, &ldcf.Error{File: cfg.File, Line: line, Msg: fmt.Sprintf("execute: %s is this configuration itself (want another ldirectord.cf)", child)}
		}
	}
	for _, v := range cfg.Virtuals {
		if v.MonitorFile == "" {
			continue
		}
		f, err := os.OpenFile(v.MonitorFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, &ldcf.Error{File: cfg.File, Line: v.Lines["monitorfile"], Msg: fmt.Sprintf("unable to open monitorfile %s: %v", v.MonitorFile, err)}
		}
		f.Close()
	}
	if dir := cfg.Global.MaintenanceDir; dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			warnings = append(warnings, ldcf.Error{File: cfg.File, Line: cfg.Global.Lines["maintenancedir"], Msg: "maintenance directory does not exist: " + dir})
		}
	}
	return warnings, nil
}

// loadChecked is ldcf.Load, then checkFiles; its warnings join the
// config's.
func loadChecked(path string, opts ldcf.Options, etc, rundir string) (*ldcf.Config, error) {
	cfg, err := ldcf.Load(path, opts)
	if err != nil {
		return nil, err
	}
	return withFileChecks(cfg, etc, rundir)
}

func withFileChecks(cfg *ldcf.Config, etc, rundir string) (*ldcf.Config, error) {
	warns, err := checkFiles(cfg, etc, rundir)
	if err != nil {
		return nil, err
	}
	cfg.Warnings = append(cfg.Warnings, warns...)
	return cfg, nil
}
