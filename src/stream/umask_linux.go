package stream

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// processUmask returns the process's umask, from /proc/self/status (Linux
// 4.7 and later), so that In can skip the fchmod of a file that creating
// it with its mode already gave exactly that mode. ok is false when the
// umask cannot be read without changing it.
func processUmask() (umask fs.FileMode, ok bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		value, found := strings.CutPrefix(s.Text(), "Umask:")
		if !found {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(value), 8, 32)
		if err != nil {
			return 0, false
		}
		return fs.FileMode(n) & fs.ModePerm, true
	}
	return 0, false
}
