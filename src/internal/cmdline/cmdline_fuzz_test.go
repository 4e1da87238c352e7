package cmdline_test

import (
	"slices"
	"testing"

	"github.com/garden-windows/garden-windows-release/internal/cmdline"
)

// FuzzJoinSplit checks that Split undoes Join. Plain `go test` runs only
// the seeds; `go test -fuzz FuzzJoinSplit ./internal/cmdline` explores.
func FuzzJoinSplit(f *testing.F) {
	f.Add(`prog`, ``, ``)
	f.Add(`C:\Program Files\app.exe`, `a b`, `c\`)
	f.Add(`C:\dir\`, `a\\"b`, `"`)
	f.Add(`x`, "\t", `\\\"`)
	f.Add(` `, `""`, `é 日`)
	f.Fuzz(func(t *testing.T, program, a, b string) {
		args := []string{program, a, b}
		line, err := cmdline.Join(args)
		if err != nil {
			return
		}
		if got := cmdline.Split(line); !slices.Equal(got, args) {
			t.Fatalf("Split(%q) = %q, want %q", line, got, args)
		}
	})
}
