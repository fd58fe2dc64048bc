package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{
			name: "stamped and modified",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ultramonkey/ultramonkey", Version: "v0.0.0-20261206052911-519b254abcde+dirty"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
					{Key: "vcs.revision", Value: "519b254abcdef"}, {Key: "vcs.time", Value: "2026-12-06T05:29:11Z"}, {Key: "vcs.modified", Value: "true"}}},
			want: "hbd v0.0.0-20261206052911-519b254abcde+dirty\nmodule github.com/ultramonkey/ultramonkey\n" +
				"revision 519b254abcdef (2026-12-06T05:29:11Z, modified)\ngo1.26.8 linux/amd64\n",
		},
		{
			name: "clean tag",
			bi: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "m", Version: "v1.2.3"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
					{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}},
			want: "hbd v1.2.3\nmodule m\nrevision abc\ngo1.26.0 linux/arm64\n",
		},
		{
			name: "no vcs",
			bi: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "m"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}},
			want: "hbd (devel)\nmodule m\nrevision unknown (built without VCS stamping)\ngo1.26.0 linux/amd64\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, FromBuildInfo(&tt.bi).Text("hbd")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
