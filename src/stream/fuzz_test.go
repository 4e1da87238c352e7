package stream_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/garden-windows/garden-windows-release/internal/winpath"
	"github.com/garden-windows/garden-windows-release/stream"
)

// FuzzValidateEntryName checks that a name ValidateEntryName accepts stays
// inside the destination: joined under a root and cleaned, by the host's
// rules (path/filepath) and by Windows rules (winpath), it is still under
// the root, and every name in it is one Windows stores as written.
func FuzzValidateEntryName(f *testing.F) {
	for _, seed := range []string{
		"a.txt", "a/b/c.txt", `a\b`, "./", ".", "./a", "a//b", "Résumé/日本語.txt",
		"..", "../x", `..\x`, "a/../../x", `a\..\..\x`, "x/..",
		"/x", `\x`, `C:\x`, "c:/x", "C:x", "D:", `\\server\share\x`, `//server/share/x`,
		`\\?\C:\x`, `\\.\C:\x`, `//?/C:/x`, `\\?\UNC\server\share`,
		"a.txt:stream", "a::$DATA", `sub::$INDEX_ALLOCATION\x`,
		"CON", "nul.txt", "com1", "LPT9/x", "COM¹", "conin$",
		"x.", "x ", "x /y", "a\x00b", "a\x01b", "a\nb", "a\x7f", "a\xffb",
		"..a", "a..", "...", ". /x", ".. /x", "x/. /y",
	} {
		f.Add(seed)
	}
	hostRoot := filepath.Join(string(filepath.Separator)+"srv", "container", "dest")
	if runtime.GOOS == "windows" {
		hostRoot = `C:\srv\container\dest`
	}
	const winRoot = `C:\srv\container\dest`

	f.Fuzz(func(t *testing.T, name string) {
		if stream.ValidateEntryName(name) != nil {
			return
		}
		// By the host's rules.
		joined := filepath.Clean(filepath.Join(hostRoot, name))
		rel, err := filepath.Rel(hostRoot, joined)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			t.Fatalf("accepted %q, which joins to %q, outside %q", name, joined, hostRoot)
		}
		// By Windows rules, whatever the host.
		winJoined := winpath.Join(winRoot, name)
		if !winpath.Within(winRoot, winJoined) {
			t.Fatalf("accepted %q, which winpath joins to %q, not within %q", name, winJoined, winRoot)
		}
		if err := winpath.ValidateContainerPath(winJoined); err != nil {
			t.Fatalf("accepted %q, which winpath joins to a path Windows would not store as written: %v", name, err)
		}
	})
}
