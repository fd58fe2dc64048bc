package ldcf

import (
	"errors"
	"testing"
)

// TestBroken parses every broken config and checks the exact error,
// which names file:line, the directive and what was expected.
func TestBroken(t *testing.T) {
	for _, tt := range brokenCases {
		t.Run(tt.name, func(t *testing.T) {
			opt := fakeOptions()
			if tt.noResolver {
				opt.LookupHost = nil
			}
			c, err := Parse(testFile, []byte(tt.src), opt)
			if err == nil {
				t.Fatalf("Parse succeeded (%d virtuals), want error %q", len(c.Virtuals), tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.File != testFile || e.Line < 1 {
				t.Errorf("error position %s:%d, want %s and a line", e.File, e.Line, testFile)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
