// Package handle is the one check of container handles that every plugin
// applies before using a handle in a file name, an HCS id, an HNS endpoint
// name or a volume directory.
package handle

import (
	"errors"
	"fmt"
)

// ErrInvalid classes every refused handle.
var ErrInvalid = errors.New("invalid container handle")

// MaxLength is the longest handle accepted: HCS ids and NTFS names stay well
// inside their limits with it.
const MaxLength = 128

// Validate accepts handles of letters, digits, '-', '_' and '.', up to
// MaxLength characters, other than "." and "..". gdn's handles (GUIDs and
// app instance ids) all qualify; anything else could name a path outside
// the plugin's directory.
func Validate(h string) error {
	if h == "" {
		return fmt.Errorf("%w: it is empty", ErrInvalid)
	}
	if len(h) > MaxLength {
		return fmt.Errorf("%w: %q is longer than %d characters", ErrInvalid, h, MaxLength)
	}
	for _, r := range h {
		ok := r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("%w: %q has %q: use letters, digits, '-', '_' and '.'", ErrInvalid, h, r)
		}
	}
	if h == "." || h == ".." {
		return fmt.Errorf("%w: %q is not a name", ErrInvalid, h)
	}
	return nil
}
