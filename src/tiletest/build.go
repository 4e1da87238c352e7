package tiletest

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// BuildOptions says what to build a tile from and where to put it.
type BuildOptions struct {
	// RepoDir is the repository: tile/metadata.yml, tile/icon.png,
	// tile/spec-differences.yml and tile/migrations/v1/*.js are read from it.
	RepoDir string
	// Release is the release tarball (scripts/create-release's).
	Release string
	// Version is the tile's product version, MAJOR.MINOR.PATCH with an
	// optional -prerelease and +build.
	Version string
	// Output is the .pivotal file to write; by default
	// RepoDir/out/NAME-VERSION.pivotal, NAME being the product's name.
	Output string
	// Metadata replaces tile/metadata.yml when set.
	Metadata string
}

// Built describes a tile Build wrote.
type Built struct {
	Path     string
	Size     int64
	Metadata *ProductTemplate
	Release  *Release
}

// CheckError is Build's error when the product template is out of step
// with the release: the problems Check found.
type CheckError struct {
	Problems []Problem
}

func (e *CheckError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  " + p.String()
	}
	count := fmt.Sprintf("%d problems", len(e.Problems))
	if len(e.Problems) == 1 {
		count = "1 problem"
	}
	return fmt.Sprintf("the product template is out of step with the release's jobs (%s):\n%s", count, strings.Join(lines, "\n"))
}

// The versions Ops Manager can order: semantic versions.
var versionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// Migration file names: Ops Manager runs migrations/v1/*.js in the order
// of their names, TIMESTAMP_NAME.js with a YYYYMMDDHHMM timestamp.
var migrationPattern = regexp.MustCompile(`^[0-9]{12}_[A-Za-z0-9_.-]+\.js$`)

// The zip's entries carry a fixed time, so that the same inputs make the
// same file.
var entryTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Build makes the tile: it fills in the product template's version, icon
// and release from the tarball, checks the template against the tarball's
// jobs (a *CheckError lists what is out of step), and writes the .pivotal
// file: metadata/NAME.yml, releases/RELEASE-VERSION.tgz (the tarball as it
// is) and migrations/v1/ with tile/migrations/v1/*.js.
func Build(opts BuildOptions) (*Built, error) {
	if !versionPattern.MatchString(opts.Version) {
		return nil, fmt.Errorf("product version %q is not one Ops Manager can order: give MAJOR.MINOR.PATCH, such as 1.0.0 or 1.0.0-rc.1", opts.Version)
	}
	tileDir := filepath.Join(opts.RepoDir, "tile")
	if opts.Metadata == "" {
		opts.Metadata = filepath.Join(tileDir, "metadata.yml")
	}
	rel, err := ReadRelease(opts.Release)
	if err != nil {
		return nil, err
	}
	icon, err := os.ReadFile(filepath.Join(tileDir, "icon.png"))
	if err != nil {
		return nil, fmt.Errorf("reading the tile's icon: %w", err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(icon)); err != nil {
		return nil, fmt.Errorf("tile/icon.png is not a PNG image (%v): Ops Manager shows icon_image as one", err)
	}
	template, err := os.ReadFile(opts.Metadata)
	if err != nil {
		return nil, fmt.Errorf("reading the product template: %w", err)
	}
	metadata, err := FillMetadata(template, opts.Version, rel, icon)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Metadata, err)
	}
	pt, err := ParseMetadata(metadata)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Metadata, err)
	}
	diffs, err := ReadDifferences(filepath.Join(opts.RepoDir, filepath.FromSlash(DifferencesFile)))
	if err != nil {
		return nil, err
	}
	if problems := Check(pt, rel, diffs); len(problems) > 0 {
		return nil, &CheckError{Problems: problems}
	}
	migrations, err := readMigrations(filepath.Join(tileDir, "migrations", "v1"))
	if err != nil {
		return nil, err
	}

	if opts.Output == "" {
		opts.Output = filepath.Join(opts.RepoDir, "out", pt.Name+"-"+opts.Version+".pivotal")
	}
	if err := os.MkdirAll(filepath.Dir(opts.Output), 0o755); err != nil {
		return nil, err
	}
	size, err := writeTile(opts.Output, pt.Name, metadata, migrations, ReleaseFile(rel), opts.Release)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", opts.Output, err)
	}
	return &Built{Path: opts.Output, Size: size, Metadata: pt, Release: rel}, nil
}

// FillMetadata sets what only the build knows in a product template: the
// product version, the icon, and the release's file and version (the
// template must list the release, and no other). Comments and layout are
// kept; values are quoted, so that a version like 1.10 stays a string.
func FillMetadata(template []byte, version string, rel *Release, icon []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, fmt.Errorf("parsing the product template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the product template is not a YAML map")
	}
	root := doc.Content[0]
	setString(root, "product_version", version)
	setString(root, "icon_image", base64.StdEncoding.EncodeToString(icon))
	releases := lookup(root, "releases")
	if releases == nil || releases.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("the product template has no releases list: add one with release %s", rel.Name)
	}
	found := false
	for _, r := range releases.Content {
		name := lookup(r, "name")
		if name == nil || name.Value != rel.Name {
			return nil, fmt.Errorf("the product template lists release %q, but the tile is built only from %s's tarball", valueOf(name), rel.Name)
		}
		found = true
		setString(r, "file", ReleaseFile(rel))
		setString(r, "version", rel.Version)
	}
	if !found {
		return nil, fmt.Errorf("the product template's releases do not list %s", rel.Name)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func valueOf(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

func setString(m *yaml.Node, key, value string) {
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: yaml.DoubleQuotedStyle}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v.LineComment = m.Content[i+1].LineComment
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

type migration struct {
	name    string
	content []byte
}

func readMigrations(dir string) ([]migration, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if !migrationPattern.MatchString(e.Name()) || !e.Type().IsRegular() {
			return nil, fmt.Errorf("%s: Ops Manager runs every file in migrations/v1 as a migration, named YYYYMMDDHHMM_NAME.js; move or rename %s", dir, e.Name())
		}
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{name: e.Name(), content: content})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// writeTile writes the zip to a temporary file next to dest and renames
// it, so that dest is either the old file or the whole new one.
func writeTile(dest, product string, metadata []byte, migrations []migration, releaseFile, release string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".build-tile-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	dir := func(name string) error {
		h := &zip.FileHeader{Name: name, Modified: entryTime}
		h.SetMode(os.ModeDir | 0o755)
		_, err := zw.CreateHeader(h)
		return err
	}
	file := func(name string, method uint16, r io.Reader) error {
		h := &zip.FileHeader{Name: name, Method: method, Modified: entryTime}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	}
	err = dir("metadata/")
	if err == nil {
		err = file(path.Join("metadata", product+".yml"), zip.Deflate, bytes.NewReader(metadata))
	}
	if err == nil {
		err = dir("migrations/")
	}
	if err == nil {
		err = dir("migrations/v1/")
	}
	for _, m := range migrations {
		if err == nil {
			err = file("migrations/v1/"+m.name, zip.Deflate, bytes.NewReader(m.content))
		}
	}
	if err == nil {
		err = dir("releases/")
	}
	if err == nil {
		var f *os.File
		if f, err = os.Open(release); err == nil {
			// The tarball is compressed already: stored as it is.
			err = file("releases/"+releaseFile, zip.Store, f)
			f.Close()
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = tmp.Close()
	} else {
		tmp.Close()
	}
	if err != nil {
		return 0, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return 0, err
	}
	info, err := os.Stat(dest)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// Tile is a .pivotal file's content.
type Tile struct {
	// Entries are the zip's entry names in order; directories end in /.
	Entries []string
	// Files are the regular files' contents, and Methods their
	// compression methods, by name.
	Files   map[string][]byte
	Methods map[string]uint16
}

// ReadTile reads a .pivotal file.
func ReadTile(file string) (*Tile, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("opening the tile: %w", err)
	}
	defer zr.Close()
	t := &Tile{Files: map[string][]byte{}, Methods: map[string]uint16{}}
	for _, f := range zr.File {
		t.Entries = append(t.Entries, f.Name)
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s in %s: %w", f.Name, file, err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s in %s: %w", f.Name, file, err)
		}
		t.Files[f.Name] = content
		t.Methods[f.Name] = f.Method
	}
	return t, nil
}

// MetadataFile returns the name of the tile's one product template,
// metadata/*.yml.
func (t *Tile) MetadataFile() (string, error) {
	var found []string
	for name := range t.Files {
		if path.Dir(name) == "metadata" && strings.HasSuffix(name, ".yml") {
			found = append(found, name)
		}
	}
	if len(found) != 1 {
		sort.Strings(found)
		return "", fmt.Errorf("a tile holds one product template, metadata/NAME.yml; this one holds %d (%s)", len(found), strings.Join(found, ", "))
	}
	return found[0], nil
}
