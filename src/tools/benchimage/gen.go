package main

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

func runGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fs.String("layout", "", "directory to write the OCI image layout into (must not exist, or be empty)")
	mib := fs.Int("mib", 1024, "total size of the gzip layer blobs, in MiB (at least)")
	layers := fs.Int("layers", 6, "number of layers")
	tag := fs.String("tag", "bench", "tag of the image (index.json's "+specs.AnnotationRefName+" annotation)")
	seed := fs.Uint64("seed", 1, "seed of the pseudo-random contents; the same seed gives the same image")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return errors.New("-layout is required: the directory to write the image layout into")
	case *mib < 1:
		return fmt.Errorf("-mib %d: the size must be at least 1 MiB", *mib)
	case *layers < 1 || *layers > 64:
		return fmt.Errorf("-layers %d: give between 1 and 64 layers", *layers)
	case *tag == "":
		return errors.New("-tag must not be empty")
	}
	sum, err := generate(*dir, int64(*mib)<<20, *layers, *tag, *seed)
	if err != nil {
		return err
	}
	fmt.Printf("layers=%d blob_bytes=%d tar_bytes=%d files=%d dirs=%d links=%d manifest=%s\n",
		len(sum.layers), sum.blobBytes, sum.tarBytes, sum.files, sum.dirs, sum.links, sum.manifest)
	return nil
}

// summary is what generate made.
type summary struct {
	layers              []layerResult
	blobBytes, tarBytes int64
	files, dirs, links  int
	manifest            v1.Hash
}

// generate writes the image layout into dir: layers whose blobs add up to
// at least total bytes, the base layer largest (as in a Windows base image
// with a few layers on top), an image config for windows/amd64, its
// manifest, and index.json naming it by tag.
func generate(dir string, total int64, n int, tag string, seed uint64) (summary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return summary{}, fmt.Errorf("creating the layout directory: %w", err)
	}
	if entries, err := os.ReadDir(dir); err != nil {
		return summary{}, err
	} else if len(entries) > 0 {
		return summary{}, fmt.Errorf("the layout directory %s is not empty: give a new one", dir)
	}
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return summary{}, err
	}

	// Layer i gets a share of 1/(i+1): the base layer about 40% of six.
	weights := make([]float64, n)
	var sum float64
	for i := range weights {
		weights[i] = 1 / float64(i+1)
		sum += weights[i]
	}
	results := make([]layerResult, n)
	errs := make([]error, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := range work {
				budget := int64(math.Ceil(float64(total) * weights[i] / sum))
				results[i], errs[i] = writeLayer(blobs, i, budget, seed*1000+uint64(i))
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	err := errors.Join(errs...)
	if err != nil {
		return summary{}, err
	}

	s := summary{layers: results}
	cfg := v1.ConfigFile{
		Architecture: "amd64",
		OS:           "windows",
		OSVersion:    "10.0.17763.1",
		Created:      v1.Time{Time: time.Date(2024, 1, 9, 0, 0, 0, 0, time.UTC)},
		RootFS:       v1.RootFS{Type: "layers"},
		Config:       v1.Config{Cmd: []string{"c:\\windows\\system32\\cmd.exe"}},
	}
	manifest := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1}
	for i, l := range results {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
		cfg.History = append(cfg.History, v1.History{Created: cfg.Created, CreatedBy: fmt.Sprintf("benchimage layer %d", i)})
		manifest.Layers = append(manifest.Layers, v1.Descriptor{MediaType: types.OCILayer, Size: l.size, Digest: l.digest})
		s.blobBytes += l.size
		s.tarBytes += l.tarSize
		s.files += l.files
		s.dirs += l.dirs
		s.links += l.links
	}
	if manifest.Config, err = writeJSONBlob(blobs, cfg, types.OCIConfigJSON); err != nil {
		return summary{}, err
	}
	mDesc, err := writeJSONBlob(blobs, manifest, types.OCIManifestSchema1)
	if err != nil {
		return summary{}, err
	}
	s.manifest = mDesc.Digest
	mDesc.Annotations = map[string]string{specs.AnnotationRefName: tag}
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{mDesc}}
	if err := writeJSON(filepath.Join(dir, "index.json"), index); err != nil {
		return summary{}, err
	}
	if err := writeJSON(filepath.Join(dir, specs.ImageLayoutFile), specs.ImageLayout{Version: specs.ImageLayoutVersion}); err != nil {
		return summary{}, err
	}
	return s, nil
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func writeJSONBlob(blobs string, v any, mt types.MediaType) (v1.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return v1.Descriptor{}, err
	}
	sum := sha256.Sum256(data)
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	if err := os.WriteFile(filepath.Join(blobs, h.Hex), data, 0o644); err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: int64(len(data)), Digest: h}, nil
}

// layerResult is one written layer.
type layerResult struct {
	digest, diffID     v1.Hash
	size, tarSize      int64
	files, dirs, links int
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeLayer writes layer i's blob into blobs, adding files until the blob
// has at least budget bytes.
func writeLayer(blobs string, i int, budget int64, seed uint64) (res layerResult, err error) {
	f, err := os.CreateTemp(blobs, ".layer-*")
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return res, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	blobHash := sha256.New()
	blob := &countingWriter{w: io.MultiWriter(bw, blobHash)}
	// The compressors' default level, as image tools write layers.
	gz, err := gzip.NewWriterLevel(blob, gzip.DefaultCompression)
	if err != nil {
		return res, err
	}
	tarHash := sha256.New()
	tarBytes := &countingWriter{w: io.MultiWriter(gz, tarHash)}
	lw := &layerWriter{
		tw:    tar.NewWriter(tarBytes),
		c:     newContent(seed),
		rng:   rand.New(rand.NewPCG(seed, 0x5eed)),
		layer: i,
		dirs:  map[string]bool{},
		mtime: time.Date(2024, 1, 9, 8, 0, 0, 0, time.UTC),
	}
	// How many more tar bytes the budget allows, from the compression
	// ratio so far; the last file is cut to it so that small layers do not
	// overshoot by a large file.
	left := func() int64 {
		ratio := 2.5
		if blob.n > 0 {
			ratio = float64(tarBytes.n) / float64(blob.n)
		}
		return int64(float64(budget-blob.n) * ratio)
	}
	if err := lw.write(func() bool { return blob.n >= budget }, left, budget); err != nil {
		return res, fmt.Errorf("layer %d: %w", i, err)
	}
	if err := lw.tw.Close(); err != nil {
		return res, err
	}
	if err := gz.Close(); err != nil {
		return res, err
	}
	if err := bw.Flush(); err != nil {
		return res, err
	}
	if err := f.Close(); err != nil {
		return res, err
	}
	res = layerResult{
		digest:  hashOf(blobHash),
		diffID:  hashOf(tarHash),
		size:    blob.n,
		tarSize: tarBytes.n,
		files:   lw.files,
		dirs:    lw.ndirs,
		links:   lw.links,
	}
	if err := os.Rename(f.Name(), filepath.Join(blobs, res.digest.Hex)); err != nil {
		return res, err
	}
	return res, nil
}

func hashOf(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

// layerWriter writes the entries of a Windows-style layer tar: Files/ (the
// container's C: drive) and Hives/ (registry deltas), every entry with the
// PAX records Windows' backup-stream tars carry.
type layerWriter struct {
	tw    *tar.Writer
	c     *content
	rng   *rand.Rand
	layer int
	mtime time.Time

	dirs  map[string]bool // directory entries written
	dir   string          // where files go now
	inDir int             // files still to put in dir
	seq   int             // makes names unique in the layer

	classBytes [3]int64
	total      int64
	next       [3]int64 // the size of each class's next file

	files, ndirs, links int
}

// The file sizes: by bytes, about 35% in small files (128 B - 48 KiB), 40%
// in medium ones (48 KiB - 8 MiB) and 25% in large ones (16 - 80 MiB).
var classShare = [3]float64{0.35, 0.40, 0.25}

func (w *layerWriter) size(class int) int64 {
	logUniform := func(lo, hi float64) int64 {
		return int64(math.Exp(math.Log(lo) + w.rng.Float64()*(math.Log(hi)-math.Log(lo))))
	}
	switch class {
	case 0:
		return logUniform(128, 48<<10)
	case 1:
		return logUniform(48<<10, 8<<20)
	}
	return 16<<20 + w.rng.Int64N(64<<20)
}

var (
	roots = []string{
		"Files/Windows/WinSxS", "Files/Windows/WinSxS", "Files/Windows/WinSxS",
		"Files/Windows/System32", "Files/Windows/SysWOW64",
		"Files/Windows/Microsoft.NET/Framework64/v4.0.30319",
		"Files/Program Files/WindowsPowerShell/Modules",
		"Files/ProgramData/Microsoft/Windows",
		"Files/Windows/servicing/Packages",
	}
	stems = []string{"kernelbase", "ntdll", "msvcp", "ucrtbase", "combase", "shell", "wininet", "mscorlib", "clrjit", "setupapi", "crypt", "netio"}
	exts  = []string{"dll", "dll", "dll", "exe", "mui", "manifest", "cat", "sys"}
	hives = []string{"DefaultUser_Delta", "Sam_Delta", "Security_Delta", "Software_Delta", "System_Delta"}
	// A typical Windows file's security descriptor, as backuptar stores it.
	rawSD = base64.StdEncoding.EncodeToString(func() []byte {
		sd := make([]byte, 140)
		for i := range sd {
			sd[i] = byte(i*37 + 1)
		}
		return sd
	}())
)

func (w *layerWriter) header(hdr *tar.Header, attr string) error {
	hdr.Format = tar.FormatPAX
	hdr.ModTime = w.mtime.Add(time.Duration(w.seq) * time.Second)
	hdr.PAXRecords = map[string]string{
		"MSWINDOWS.fileattr":      attr,
		"MSWINDOWS.rawsd":         rawSD,
		"LIBARCHIVE.creationtime": strconv.FormatInt(w.mtime.Unix(), 10),
	}
	return w.tw.WriteHeader(hdr)
}

// mkdirAll writes the directory entries of dir and its parents not yet
// written; dir ends in "/".
func (w *layerWriter) mkdirAll(dir string) error {
	if w.dirs[dir] {
		return nil
	}
	parent := filepath.ToSlash(filepath.Dir(dir[:len(dir)-1]))
	if parent != "." {
		if err := w.mkdirAll(parent + "/"); err != nil {
			return err
		}
	}
	w.dirs[dir] = true
	w.ndirs++
	return w.header(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755}, "16")
}

func (w *layerWriter) file(name string, size int64) error {
	if err := w.header(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644}, "32"); err != nil {
		return err
	}
	for size > 0 {
		b := w.c.take(int(min(size, 1<<20)))
		if _, err := w.tw.Write(b); err != nil {
			return err
		}
		size -= int64(len(b))
	}
	w.files++
	w.seq++
	return nil
}

// write writes the layer: the registry hives, then files in directories
// of 4-64 files each, until done says the blob is big enough.
func (w *layerWriter) write(done func() bool, left func() int64, budget int64) error {
	if err := w.mkdirAll("Files/"); err != nil {
		return err
	}
	if err := w.mkdirAll("Hives/"); err != nil {
		return err
	}
	// Hive deltas: the base layer's software and system hives are large.
	tarBudget := float64(budget) * 2.5
	for _, h := range hives {
		share := 0.002
		if w.layer == 0 && h == "Software_Delta" {
			share = 0.03
		} else if w.layer == 0 && h == "System_Delta" {
			share = 0.01
		}
		if err := w.file("Hives/"+h, max(4096, int64(share*tarBudget))); err != nil {
			return err
		}
	}
	for !done() {
		if w.inDir == 0 {
			root := roots[w.rng.IntN(len(roots))]
			var sub string
			if root == "Files/Windows/WinSxS" {
				sub = fmt.Sprintf("amd64_microsoft-windows-%s-l%d-%d_31bf3856ad364e35_10.0.17763.%d_none_%016x",
					stems[w.rng.IntN(len(stems))], w.layer, w.seq, 1+w.rng.IntN(5000), w.rng.Uint64())
			} else {
				sub = fmt.Sprintf("%s-l%d-%d", stems[w.rng.IntN(len(stems))], w.layer, w.seq)
			}
			w.dir = root + "/" + sub + "/"
			w.inDir = 4 + w.rng.IntN(61)
			if err := w.mkdirAll(w.dir); err != nil {
				return err
			}
		}
		// The class furthest behind its share, counting half of the file
		// it would write next, so that a large file waits until the others
		// have caught up with it.
		class, behind := 0, math.Inf(-1)
		for c := range classShare {
			if w.next[c] == 0 {
				w.next[c] = w.size(c)
			}
			b := classShare[c]*float64(w.total) - float64(w.classBytes[c]) - float64(w.next[c])/2
			if b > behind {
				class, behind = c, b
			}
		}
		size := min(w.next[class], max(left(), 1024))
		w.next[class] = 0
		base := fmt.Sprintf("%s%d.%s", stems[w.rng.IntN(len(stems))], w.seq, exts[w.rng.IntN(len(exts))])
		name := w.dir + base
		if err := w.file(name, size); err != nil {
			return err
		}
		w.classBytes[class] += size
		w.total += size
		w.inDir--
		// Windows keeps one copy of a system file in WinSxS and hard-links
		// it from System32.
		if strings.HasPrefix(w.dir, "Files/Windows/WinSxS/") && class < 2 && w.rng.IntN(4) == 0 {
			if err := w.mkdirAll("Files/Windows/System32/"); err != nil {
				return err
			}
			if err := w.header(&tar.Header{Typeflag: tar.TypeLink, Name: "Files/Windows/System32/" + base, Linkname: name, Mode: 0o644}, "32"); err != nil {
				return err
			}
			w.links++
		}
	}
	return nil
}

// content is an endless stream of bytes that deflate compresses about 2.5
// times, as it does Windows binaries: runs of random bytes, which do not
// compress, alternate with copies of earlier bytes of the stream within
// deflate's 32 KiB window, which it encodes as back-references. Neither
// all zeros nor all random, and no two files alike.
type content struct {
	rng  *rand.PCG
	buf  []byte // the window of history, then the current chunk
	next []byte // what of the current chunk take has not returned
}

const (
	window     = 32 << 10
	chunkSize  = 1 << 20
	avgLiteral = 12 // bytes of each random run, on average
	avgMatch   = 28 // bytes of each copy, on average
	minMatch   = 4
)

func newContent(seed uint64) *content {
	c := &content{rng: rand.NewPCG(seed, 0xc0ffee), buf: make([]byte, window+chunkSize)}
	c.literals(c.buf[chunkSize:])
	c.refill()
	return c
}

func (c *content) literals(p []byte) {
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, c.rng.Uint64())
		p = p[8:]
	}
	for i := range p {
		p[i] = byte(c.rng.Uint64())
	}
}

// refill makes the next chunk, the last window of the previous one kept
// in front of it for the copies to copy from.
func (c *content) refill() {
	copy(c.buf, c.buf[len(c.buf)-window:])
	p := window
	for p < len(c.buf) {
		lit := min(1+int(c.rng.Uint64()%(2*avgLiteral-1)), len(c.buf)-p)
		c.literals(c.buf[p : p+lit])
		p += lit
		m := min(minMatch+int(c.rng.Uint64()%(2*(avgMatch-minMatch))), len(c.buf)-p)
		if m == 0 {
			break
		}
		dist := m + int(c.rng.Uint64()%uint64(window-m))
		copy(c.buf[p:p+m], c.buf[p-dist:p-dist+m])
		p += m
	}
	c.next = c.buf[window:]
}

// take returns the next up to n bytes of the stream, valid until the next
// call.
func (c *content) take(n int) []byte {
	if len(c.next) == 0 {
		c.refill()
	}
	n = min(n, len(c.next))
	b := c.next[:n]
	c.next = c.next[n:]
	return b
}
