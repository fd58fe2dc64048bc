//go:build vm && vmbench

package ipvs

// With the vmbench tag TestVMSyncLateBackup measures every case
// (IPVSVM_TAGS=vmbench IPVSVM_PKGS=./internal/director/ipvs test/vm/run.sh TestVMSyncLateBackup).
func init() { lateBackupAll = true }
