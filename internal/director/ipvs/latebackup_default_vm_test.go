//go:build vm && !vmbench

package ipvs

// lateBackupAll: make test runs only TestVMSyncLateBackup's cases that pin
// what LVSSyncDaemonSwap relies on.
const lateBackupAll = false
