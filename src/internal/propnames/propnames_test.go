package propnames_test

import (
	"reflect"
	"testing"

	"github.com/garden-windows/garden-windows-release/internal/propnames"
)

var names = map[string]struct{}{
	"winc_network.subnet_range":       {},
	"winc_network.port_pool.start":    {},
	"winc_network.port_pool.size":     {},
	"garden.max_containers":           {},
	"garden.default_container_rootfs": {},
}

func TestBelow(t *testing.T) {
	if got, want := propnames.Below(names, "winc_network.port_pool"), []string{"winc_network.port_pool.size", "winc_network.port_pool.start"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Below(port_pool) = %v, want %v", got, want)
	}
	if got := propnames.Below(names, "winc_network.port"); got != nil {
		t.Errorf("Below(port) = %v, want nothing: a prefix of a name part is not below it", got)
	}
}

func TestSimilar(t *testing.T) {
	for key, want := range map[string][]string{
		"winc_network.subnet":       {"winc_network.subnet_range"}, // cut off
		"garden.max_container":      {"garden.max_containers"},     // one edit
		"winc_network.port_pol":     {"winc_network.port_pool"},    // a parent, at the key's depth
		"garden.subnet_range":       nil,                           // another parent
		"winc_network.completely_x": nil,
	} {
		got := propnames.Similar(names, key)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Similar(%s) = %v, want %v", key, got, want)
		}
	}
}
