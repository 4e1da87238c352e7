package groot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// Config is groot's configuration file (--config), rendered by the groot
// job from its groot.* properties.
type Config struct {
	// DriverStore holds the layers, volumes and groot's metadata, as a
	// Windows path. A rooted path without a drive (the job's default
	// /var/lib/groot, kept from earlier releases) is on the system drive.
	DriverStore string `json:"driver_store"`
	// LogLevel is debug, info, error or fatal.
	LogLevel string `json:"log_level"`
	// LogFormat is rfc3339 (human-readable timestamps) or unix-epoch.
	LogFormat string `json:"log_format"`
	// InsecureRegistries ("host" or "host:port") are reached over plain
	// HTTP or TLS without certificate checks.
	InsecureRegistries []string `json:"insecure_registries"`
}

// Defaults used when a field is absent.
const (
	DefaultDriverStore = `C:\var\lib\groot`
	DefaultLogLevel    = "info"
	DefaultLogFormat   = "rfc3339"
)

// ErrInvalidConfig classes every configuration error.
var ErrInvalidConfig = errors.New("invalid groot configuration")

func invalidConfig(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
}

// LoadConfig reads and validates the configuration file at path. An empty
// path means no file: every field takes its default.
func LoadConfig(path string) (Config, error) {
	c := Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("%w: reading %s: %v", ErrInvalidConfig, path, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return Config{}, fmt.Errorf("%w: %s is not valid: %v (the groot job renders it)", ErrInvalidConfig, path, err)
		}
	}
	return c.withDefaults()
}

// withDefaults fills absent fields and validates the result.
func (c Config) withDefaults() (Config, error) {
	if c.DriverStore == "" {
		c.DriverStore = DefaultDriverStore
	}
	store, err := DriverStorePath(c.DriverStore)
	if err != nil {
		return Config{}, invalidConfig("driver_store", "%v", err)
	}
	c.DriverStore = store
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	switch c.LogLevel {
	case "debug", "info", "error", "fatal":
	default:
		return Config{}, invalidConfig("log_level", "%q is not one of debug, info, error, fatal", c.LogLevel)
	}
	if c.LogFormat == "" {
		c.LogFormat = DefaultLogFormat
	}
	switch c.LogFormat {
	case "rfc3339", "unix-epoch":
	default:
		return Config{}, invalidConfig("log_format", "%q is not one of rfc3339, unix-epoch", c.LogFormat)
	}
	for i, r := range c.InsecureRegistries {
		if err := validateRegistry(r); err != nil {
			return Config{}, invalidConfig(fmt.Sprintf("insecure_registries[%d]", i), "%v", err)
		}
	}
	return c, nil
}

// DriverStorePath turns a configured driver store into the absolute
// Windows path groot uses: a rooted path without a drive goes on C:, and
// forward slashes become backslashes.
func DriverStorePath(p string) (string, error) {
	if strings.ContainsAny(p, "\x00\r\n\"") {
		return "", fmt.Errorf("%q contains a control character or quote", p)
	}
	if (strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`)) && !strings.HasPrefix(p, `\\`) && !strings.HasPrefix(p, "//") {
		p = "C:" + p
	}
	if !winpath.IsAbs(p) || len(winpath.VolumeName(p)) != 2 {
		return "", fmt.Errorf("%q is not an absolute path on a drive (for example C:\\var\\vcap\\data\\groot or /var/lib/groot)", p)
	}
	for _, name := range strings.FieldsFunc(winpath.ToSlash(p), func(r rune) bool { return r == '/' }) {
		if name == ".." {
			return "", fmt.Errorf("%q contains \"..\"", p)
		}
	}
	if winpath.IsDriveRoot(winpath.Clean(p)) {
		return "", fmt.Errorf("%q is a drive's root: give groot a directory of its own", p)
	}
	return winpath.Clean(winpath.FromSlash(p)), nil
}

// validateRegistry accepts "host" or "host:port".
func validateRegistry(r string) error {
	host, port := r, ""
	if h, p, err := net.SplitHostPort(r); err == nil {
		host, port = h, p
	}
	if host == "" || strings.ContainsAny(host, "/ @\t") || strings.Contains(r, "://") {
		return fmt.Errorf("%q is not a registry host or host:port (no scheme, path or credentials)", r)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q has an invalid port", r)
		}
	}
	return nil
}
