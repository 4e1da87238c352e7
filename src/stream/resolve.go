package stream

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// Resolve maps a path inside the container to the host path under root,
// the container's C:\ as the host sees it.
//
// containerPath is a Windows path as gdn sends it: `C:\Users\vcap\app`,
// `c:/app`, or rooted without a drive (`/tmp/app`, `\tmp\app`), which is on
// C:. Resolve refuses, with an error wrapping ErrUnsafePath, a path that is
// relative (also `C:app`), on another drive, UNC, or a device path (`\\?\`,
// `\\.\`); one whose ".." names climb above C:\ (".." that stays inside is
// resolved by its text, as Windows does); and one with a name Windows
// would not store as written (see ValidateEntryName). `C:\` itself maps to
// root.
//
// It then looks at every name of the result that exists, from root down,
// with Lstat, and refuses a symlink, junction or other reparse point (on
// Linux, a symlink) among them, the last name included, and a
// non-directory before the last name. Names that do not exist yet are
// fine: In creates them. root itself is trusted and not checked.
func Resolve(root, containerPath string) (string, error) {
	refuse := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("%w: container path %q: %s", ErrUnsafePath, containerPath, fmt.Sprintf(format, args...))
	}
	if root == "" {
		return "", errors.New("stream: resolve: the container root is empty")
	}
	p := containerPath
	if p == "" {
		return refuse("it is empty")
	}
	if problem := textProblem(p); problem != "" {
		return refuse("%s", problem)
	}
	vol := winpath.VolumeName(p)
	switch {
	case len(vol) == 2 && vol[1] == ':':
		if !winpath.EqualFold(vol, "C:") {
			return refuse("it is on drive %s; the container has only C:", vol)
		}
		if len(p) == 2 || !isSep(p[2]) {
			return refuse(`it is relative to the current directory of drive %s; write it as %s\dir`, vol, vol)
		}
	case vol != "":
		if problem := volumeProblem(p); problem != "" {
			return refuse("%s", strings.TrimSuffix(problem, "; it must be relative"))
		}
	case !isSep(p[0]):
		return refuse(`it is relative; write it as C:\dir or /dir`)
	}

	var names []string
	var problem string
	splitNames(p[len(vol):], func(name string) bool {
		switch name {
		case "", ".":
		case "..":
			if len(names) == 0 {
				problem = `its ".." names climb above C:\`
				return false
			}
			names = names[:len(names)-1]
		default:
			if problem = nameProblem(name); problem != "" {
				return false
			}
			names = append(names, name)
		}
		return true
	})
	if problem != "" {
		return refuse("%s", problem)
	}

	host := root
	for i, name := range names {
		host = filepath.Join(host, name)
		fi, err := os.Lstat(host)
		if errors.Is(err, fs.ErrNotExist) {
			// Nothing below exists either.
			return filepath.Join(append([]string{root}, names...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("stream: resolve %q: %w", containerPath, err)
		}
		shown := `C:\` + strings.Join(names[:i+1], `\`)
		if isLink(fi) {
			return refuse("%s is a symlink, junction or other reparse point", shown)
		}
		if i < len(names)-1 && !fi.IsDir() {
			return refuse("%s is not a directory", shown)
		}
	}
	return host, nil
}
