package handle_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/garden-windows/garden-windows-release/internal/handle"
)

func TestValidate(t *testing.T) {
	for _, ok := range []string{"a", "app-1", "0b9f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e", "x_y.z", strings.Repeat("a", 128)} {
		if err := handle.Validate(ok); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", ok, err)
		}
	}
	for h, want := range map[string]string{
		"":                       "empty",
		".":                      "not a name",
		"..":                     "not a name",
		"a/b":                    `has '/'`,
		`a\b`:                    `has '\\'`,
		"a b":                    `has ' '`,
		"C:":                     `has ':'`,
		strings.Repeat("a", 129): "longer than 128",
	} {
		err := handle.Validate(h)
		if err == nil || !errors.Is(err, handle.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%q) = %v, want ErrInvalid containing %q", h, err, want)
		}
	}
}
