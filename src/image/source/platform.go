package source

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// winVersion is a Windows version major.minor.build[.revision]. Process
// isolated containers need an image of the host's build; the revision
// (monthly patch level) may differ, but the closest not newer than the
// host is the safest.
type winVersion struct {
	major, minor, build, rev int
	hasRev                   bool
}

func parseWinVersion(s string) (winVersion, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 && len(parts) != 4 {
		return winVersion{}, false
	}
	n := make([]int, 4)
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return winVersion{}, false
		}
		n[i] = v
	}
	return winVersion{major: n[0], minor: n[1], build: n[2], rev: n[3], hasRev: len(parts) == 4}, true
}

func (v winVersion) buildString() string {
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.build)
}

func (v winVersion) sameBuild(o winVersion) bool {
	return v.major == o.major && v.minor == o.minor && v.build == o.build
}

func isWindowsAMD64(d v1.Descriptor) bool {
	return d.Platform != nil && d.Platform.OS == "windows" && d.Platform.Architecture == "amd64"
}

// chooseManifest picks the entry of an index (a manifest list or an OCI
// layout's index) to run on a windows/amd64 host of Windows version
// hostVersion; see Options.HostOSVersion. what names the index for
// errors.
func chooseManifest(descs []v1.Descriptor, hostVersion, what string) (v1.Descriptor, error) {
	if len(descs) == 0 {
		return v1.Descriptor{}, newError(ErrNotFound, nil, "%s lists no images", what)
	}
	// A lone entry without a platform is an ordinary single image; its
	// config says what it is for, and toImage checks that.
	if len(descs) == 1 && (descs[0].Platform == nil || descs[0].Platform.OS == "") {
		return descs[0], nil
	}

	var windows []v1.Descriptor
	for _, d := range descs {
		if isWindowsAMD64(d) {
			windows = append(windows, d)
		}
	}
	if len(windows) == 0 {
		return v1.Descriptor{}, newError(ErrPlatform, nil,
			"%s has no windows/amd64 image (it offers %s): use an image built for Windows", what, platforms(descs))
	}

	if hostVersion == "" {
		if len(windows) == 1 {
			return windows[0], nil
		}
		return v1.Descriptor{}, newError(ErrPlatform, nil,
			"%s has %d windows/amd64 images (os.version %s) and the host's Windows version was not given, so none can be chosen",
			what, len(windows), osVersions(windows))
	}
	host, ok := parseWinVersion(hostVersion)
	if !ok {
		return v1.Descriptor{}, fmt.Errorf("the host's Windows version %q is not major.minor.build[.revision] (like 10.0.17763.5576)", hostVersion)
	}

	best, bestV := -1, winVersion{}
	for i, d := range windows {
		v, ok := parseWinVersion(d.Platform.OSVersion)
		if !ok || !v.sameBuild(host) {
			continue
		}
		if best < 0 || better(v, bestV, host) {
			best, bestV = i, v
		}
	}
	if best < 0 {
		return v1.Descriptor{}, newError(ErrPlatform, nil,
			"%s has no windows/amd64 image for this host's Windows build %s (host version %s); builds offered: %s. Use an image (or tag) built for Windows %s",
			what, host.buildString(), hostVersion, builds(windows), host.buildString())
	}
	return windows[best], nil
}

// better says whether candidate v beats the current best b (both of the
// host's build): not newer than the host beats newer, then higher wins.
func better(v, b winVersion, host winVersion) bool {
	if host.hasRev {
		vOK, bOK := v.rev <= host.rev, b.rev <= host.rev
		if vOK != bOK {
			return vOK
		}
	}
	return v.rev > b.rev
}

func platforms(descs []v1.Descriptor) string {
	var out []string
	for _, d := range descs {
		p := "unknown platform"
		if d.Platform != nil {
			p = d.Platform.OS + "/" + d.Platform.Architecture
			if d.Platform.Variant != "" {
				p += "/" + d.Platform.Variant
			}
			if d.Platform.OSVersion != "" {
				p += " " + d.Platform.OSVersion
			}
		}
		out = append(out, p)
	}
	return strings.Join(out, ", ")
}

func osVersions(descs []v1.Descriptor) string {
	var out []string
	for _, d := range descs {
		v := d.Platform.OSVersion
		if v == "" {
			v = "unset"
		}
		out = append(out, v)
	}
	return strings.Join(out, ", ")
}

func builds(descs []v1.Descriptor) string {
	var out []string
	for _, d := range descs {
		b := "unset"
		if v, ok := parseWinVersion(d.Platform.OSVersion); ok {
			b = v.buildString()
		} else if d.Platform.OSVersion != "" {
			b = fmt.Sprintf("%q", d.Platform.OSVersion)
		}
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return strings.Join(out, ", ")
}
