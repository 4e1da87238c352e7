package cellprep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// Config is cell-prep's configuration file, rendered by the cell-prep job
// from its cell_prep.* properties.
type Config struct {
	// Features are the Windows features the cell needs, by their Server
	// Manager names.
	Features []string `json:"features"`
	// RebootIfRequired lets converge schedule the reboot a feature needs;
	// otherwise it fails saying what to do.
	RebootIfRequired bool `json:"reboot_if_required"`
	// WincNetworkConfig is winc-network's configuration file: the NAT
	// network is made to its settings, and its port reservations are
	// checked for leaks. Empty: the NAT network is not managed.
	WincNetworkConfig string `json:"winc_network_config"`
	// GrootConfig is groot's configuration file, whose driver store is
	// checked for leaked volumes. Empty: volumes are not checked.
	GrootConfig string `json:"groot_config"`
	// FirewallInbound and FirewallOutbound are the firewall's default
	// actions on every profile: block or allow.
	FirewallInbound  string `json:"firewall_inbound"`
	FirewallOutbound string `json:"firewall_outbound"`
	// DefenderExclusions are paths Windows Defender must not scan.
	DefenderExclusions []string `json:"defender_exclusions"`
	// QuotaVolume is a path on the volume where containers' sandboxes
	// live, which must support quotas.
	QuotaVolume string `json:"quota_volume"`
	// WatchIntervalSeconds is how often watch checks for drift.
	WatchIntervalSeconds int `json:"watch_interval_seconds"`
	// StatusFile is where watch writes its last result.
	StatusFile string `json:"status_file"`
}

// Defaults.
const (
	DefaultQuotaVolume   = `C:\var\vcap\data`
	DefaultStatusFile    = `C:\var\vcap\data\cell-prep\status.json`
	DefaultWatchInterval = 30
)

// DefaultFeatures are the features a Windows cell needs.
var DefaultFeatures = []string{"Containers", "FS-Resource-Manager"}

// KnownFeatures are the features cell-prep knows how to check.
var KnownFeatures = []string{"Containers", "FS-Resource-Manager"}

// ErrInvalidConfig classes every configuration error.
var ErrInvalidConfig = errors.New("invalid cell-prep configuration")

func invalidConfig(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
}

// LoadConfig reads and validates the configuration file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: reading %s: %v", ErrInvalidConfig, path, err)
	}
	// Absent fields keep these; a 0 interval given explicitly is an error.
	c := Config{WatchIntervalSeconds: DefaultWatchInterval}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %s is not valid: %v (the cell-prep job renders it)", ErrInvalidConfig, path, err)
	}
	return c.WithDefaults()
}

// WithDefaults fills absent fields and validates the result.
func (c Config) WithDefaults() (Config, error) {
	if c.Features == nil {
		c.Features = append([]string{}, DefaultFeatures...)
	}
	for i, f := range c.Features {
		known := false
		for _, k := range KnownFeatures {
			if strings.EqualFold(f, k) {
				c.Features[i], known = k, true
			}
		}
		if !known {
			return Config{}, invalidConfig(fmt.Sprintf("features[%d]", i), "%q is not a feature cell-prep knows: use %s", f, strings.Join(KnownFeatures, ", "))
		}
	}
	if c.FirewallInbound == "" {
		c.FirewallInbound = "block"
	}
	if c.FirewallOutbound == "" {
		c.FirewallOutbound = "allow"
	}
	for field, v := range map[string]string{"firewall_inbound": c.FirewallInbound, "firewall_outbound": c.FirewallOutbound} {
		if v != "block" && v != "allow" {
			return Config{}, invalidConfig(field, "%q is not block or allow", v)
		}
	}
	for i, p := range c.DefenderExclusions {
		if !winpath.IsAbs(p) || strings.ContainsAny(p, "\x00\r\n'\"") {
			return Config{}, invalidConfig(fmt.Sprintf("defender_exclusions[%d]", i), "%q is not an absolute Windows path without quotes", p)
		}
	}
	if c.QuotaVolume == "" {
		c.QuotaVolume = DefaultQuotaVolume
	}
	if !winpath.IsAbs(c.QuotaVolume) || len(winpath.VolumeName(c.QuotaVolume)) != 2 {
		return Config{}, invalidConfig("quota_volume", "%q is not an absolute path on a drive", c.QuotaVolume)
	}
	if c.WatchIntervalSeconds <= 0 {
		return Config{}, invalidConfig("watch_interval_seconds", "%d is not a number of seconds between checks: give one of at least 1, for example 30", c.WatchIntervalSeconds)
	}
	if c.StatusFile == "" {
		c.StatusFile = DefaultStatusFile
	}
	return c, nil
}
