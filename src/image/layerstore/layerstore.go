// Package layerstore imports image layers once and shares them between
// images and containers. Layers are kept by chain ID (a layer together with
// everything below it), each blob is checked against its digest and its
// uncompressed tar against its diff ID while it streams, the tar passes the
// entry rules of image/layertar before the host sees it, and a layer counts
// as imported only once its metadata file is written after a verified
// import. A half-imported layer (groot died, or the bytes were wrong) has no
// metadata, is never handed out, and is removed by the next import of it or
// by Cleanup.
//
// Imported layers are never changed or re-imported, so a layer that running
// containers use is never replaced.
package layerstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/klauspost/compress/gzip"

	"github.com/garden-windows/garden-windows-release/host"
	"github.com/garden-windows/garden-windows-release/image"
	"github.com/garden-windows/garden-windows-release/image/layertar"
	"github.com/garden-windows/garden-windows-release/internal/atomicfile"
	"github.com/garden-windows/garden-windows-release/internal/filelock"
	"github.com/garden-windows/garden-windows-release/internal/winpath"
)

// ErrCorruptLayer classes layers whose bytes are not what the image says:
// a digest or diff ID mismatch, a truncated or undecodable blob.
var ErrCorruptLayer = errors.New("corrupt layer")

// Store is the layer store under one directory.
type Store struct {
	// Dir is the store's directory, a Windows path (<driver store>\layers).
	Dir string
	// Local maps a Windows path to where it is on this machine: the
	// identity on Windows, the simulation's mapping in Linux builds.
	Local func(string) string
	Host  host.LayerHost
	Log   lager.Logger
}

// Meta is what the store records of an imported layer.
type Meta struct {
	ChainID string `json:"chain_id"`
	DiffID  string `json:"diff_id"`
	Digest  string `json:"digest"`
	// Size is the uncompressed tar's size in bytes, which is what the
	// layer takes on disk, near enough for quotas.
	Size       int64     `json:"size"`
	ImportedAt time.Time `json:"imported_at"`
}

// Layers is an image's imported layers.
type Layers struct {
	// Dirs are the layer directories topmost first, as a runtime spec's
	// windows.layerFolders lists them (before the sandbox).
	Dirs []string
	// Size is the bytes of all layers together.
	Size uint64
}

func (s Store) layerDir(chainID string) string {
	return winpath.Join(s.Dir, image.DigestHex(chainID))
}
func (s Store) metaFile(chainID string) string { return s.layerDir(chainID) + ".json" }
func (s Store) lockFile(chainID string) string { return s.layerDir(chainID) + ".lock" }

// Ensure imports every layer of img that is not in the store yet, base
// first, and returns them all.
func (s Store) Ensure(ctx context.Context, img image.Image) (Layers, error) {
	if err := os.MkdirAll(s.Local(s.Dir), 0o755); err != nil {
		return Layers{}, fmt.Errorf("creating the layer store %s: %w", s.Dir, err)
	}
	diffIDs := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		if err := checkDigest(l.DiffID); err != nil {
			return Layers{}, fmt.Errorf("image %s: layer %d: diff ID: %w", img.Name, i, err)
		}
		if err := checkDigest(l.Digest); err != nil {
			return Layers{}, fmt.Errorf("image %s: layer %d: digest: %w", img.Name, i, err)
		}
		diffIDs[i] = l.DiffID
	}
	chain := image.ChainIDs(diffIDs)
	var out Layers
	for i, l := range img.Layers {
		if err := ctx.Err(); err != nil {
			return Layers{}, err
		}
		parents := make([]string, 0, i)
		for j := i - 1; j >= 0; j-- {
			parents = append(parents, s.layerDir(chain[j]))
		}
		meta, err := s.ensure(chain[i], l, parents)
		if err != nil {
			return Layers{}, fmt.Errorf("image %s: layer %d of %d (%s): %w", img.Name, i+1, len(img.Layers), l.Digest, err)
		}
		out.Dirs = append([]string{s.layerDir(chain[i])}, out.Dirs...)
		out.Size += uint64(meta.Size)
	}
	return out, nil
}

// Imported reports the metadata of an imported layer.
func (s Store) Imported(chainID string) (Meta, bool, error) {
	data, err := os.ReadFile(s.Local(s.metaFile(chainID)))
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, false, nil
	}
	if err != nil {
		return Meta{}, false, err
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return Meta{}, false, fmt.Errorf("layer metadata %s is unreadable: %w", s.metaFile(chainID), err)
	}
	if _, err := os.Stat(s.Local(s.layerDir(chainID))); err != nil {
		// Metadata without its layer: somebody removed the directory.
		// Treat it as not imported; the import replaces the metadata.
		return Meta{}, false, nil
	}
	return m, true, nil
}

func (s Store) ensure(chainID string, l image.Layer, parents []string) (Meta, error) {
	if m, ok, err := s.Imported(chainID); err != nil || ok {
		return m, err
	}
	// Another groot may be importing the same layer: wait for it, then
	// look again.
	lock, err := filelock.Acquire(s.Local(s.lockFile(chainID)))
	if err != nil {
		return Meta{}, fmt.Errorf("locking layer %s: %w", chainID, err)
	}
	defer lock.Unlock()
	if m, ok, err := s.Imported(chainID); err != nil || ok {
		return m, err
	}
	dir := s.layerDir(chainID)
	if err := s.removeHalfImported(dir); err != nil {
		return Meta{}, err
	}
	log := s.Log.Session("import-layer", lager.Data{"chain_id": chainID, "digest": l.Digest, "size": l.Size})
	log.Info("start")
	size, err := s.importLayer(dir, l, parents)
	if err != nil {
		if derr := s.Host.DestroyLayer(dir); derr != nil {
			log.Error("removing-failed-import", derr)
		}
		return Meta{}, err
	}
	m := Meta{ChainID: chainID, DiffID: l.DiffID, Digest: l.Digest, Size: size, ImportedAt: time.Now().UTC()}
	data, err := json.Marshal(m)
	if err != nil {
		return Meta{}, err
	}
	if err := atomicfile.Write(s.Local(s.metaFile(chainID)), data, 0o644); err != nil {
		return Meta{}, fmt.Errorf("recording layer %s: %w", chainID, err)
	}
	log.Info("done", lager.Data{"uncompressed_size": size})
	return m, nil
}

func (s Store) removeHalfImported(dir string) error {
	if _, err := os.Lstat(s.Local(dir)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	s.Log.Info("removing-half-imported-layer", lager.Data{"dir": dir})
	if err := s.Host.DestroyLayer(dir); err != nil {
		return fmt.Errorf("removing the half-imported layer %s: %w", dir, err)
	}
	return nil
}

// importLayer streams the blob through digest check, decompression, diff
// ID check and the entry filter into the host's import, and returns the
// uncompressed size. Each stage runs in its own goroutine (io.Pipe), so
// hashing, inflating and writing overlap on a multi-core host.
func (s Store) importLayer(dir string, l image.Layer, parents []string) (int64, error) {
	blob, err := l.Open()
	if err != nil {
		return 0, fmt.Errorf("opening the layer blob: %w", err)
	}
	defer blob.Close()

	// Three stages, each in its own goroutine, joined by pipes: reading,
	// hashing and inflating the blob; hashing and checking the tar; the
	// host's import. The work of a layer then spreads over the cores.
	compressed := &verifier{r: blob, h: sha256.New(), want: l.Digest, what: "digest", wantSize: l.Size}
	tarStream, closeTar, err := decompress(l.MediaType, compressed)
	if err != nil {
		return 0, err
	}
	defer closeTar()
	inflated := ahead(tarStream)
	defer inflated.stop() // before closeTar: the goroutine may be inflating
	uncompressed := &verifier{r: inflated, h: sha256.New(), want: l.DiffID, what: "diff ID", wantSize: -1}
	filter := layertar.Filter(uncompressed)
	defer filter.Close()
	filtered := ahead(filter)
	defer filtered.stop()

	// A verifier's error explains a stream cut short better than what
	// its readers make of it.
	explain := func(err error) error {
		if compressed.err != nil {
			return compressed.err
		}
		if uncompressed.err != nil {
			return uncompressed.err
		}
		return err
	}
	if err := s.Host.ImportLayer(dir, parents, filtered); err != nil {
		// Bytes that do not match the digest usually show first as a
		// tar the importer cannot read: finish the digest to say so.
		filtered.stop()
		inflated.stop()
		if compressed.err == nil {
			if _, derr := io.Copy(io.Discard, compressed); derr == nil {
				if cerr := compressed.check(); cerr != nil {
					return 0, cerr
				}
			}
		}
		return 0, explain(fmt.Errorf("importing into %s: %w", dir, err))
	}
	// The importer stops at the tar's end marker: read what follows (tar
	// padding, the gzip trailer) so that both digests cover every byte.
	// Stage by stage, so that no reader is read by two goroutines: each
	// pipe's goroutine has ended once its reader returned EOF, and the
	// filter reads nothing after its end.
	for _, r := range []io.Reader{filtered, uncompressed, compressed} {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return 0, explain(err)
		}
	}
	if err := compressed.check(); err != nil {
		return 0, err
	}
	if err := uncompressed.check(); err != nil {
		return 0, err
	}
	return uncompressed.n, nil
}

// ahead runs reads of r in a goroutine that keeps up to stageBuffers
// chunks of stageChunk bytes ready for the consumer, so that the stages
// before it overlap with the ones after it. Chunks are large on purpose: an
// io.Pipe hands over each small write (an inflate window, a tar header)
// separately, and those hand-offs cost more than the work they overlap.
func ahead(r io.Reader) *stage {
	st := &stage{
		chunks:  make(chan []byte, stageBuffers),
		free:    make(chan []byte, stageBuffers),
		stopped: make(chan struct{}),
		done:    make(chan struct{}),
	}
	for range stageBuffers {
		st.free <- make([]byte, stageChunk)
	}
	go st.fill(r)
	return st
}

const (
	stageChunk   = 1 << 20
	stageBuffers = 4
)

var errStopped = errors.New("import stopped")

// stage is the reading end of ahead.
type stage struct {
	chunks, free chan []byte
	stopped      chan struct{}
	stopOnce     sync.Once
	done         chan struct{}
	// err ends the stream once chunks is closed: io.EOF or why reading
	// failed. It is written before chunks is closed.
	err error
	// cur is what is left of the chunk being read; buf is all of it.
	cur, buf []byte
}

func (st *stage) fill(r io.Reader) {
	defer close(st.done)
	defer close(st.chunks)
	for {
		var buf []byte
		select {
		case buf = <-st.free:
		case <-st.stopped:
			st.err = errStopped
			return
		}
		n, err := fillChunk(r, buf)
		if n > 0 {
			select {
			case st.chunks <- buf[:n]:
			case <-st.stopped:
				st.err = errStopped
				return
			}
		}
		if err != nil {
			st.err = err
			return
		}
	}
}

// fillChunk reads into buf until it is full or r ends; unlike io.ReadFull
// it keeps r's own io.ErrUnexpectedEOF (a truncated layer) apart from the
// end of the stream.
func fillChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (st *stage) Read(p []byte) (int, error) {
	for len(st.cur) == 0 {
		if st.buf != nil {
			st.free <- st.buf[:cap(st.buf)]
			st.buf = nil
		}
		chunk, ok := <-st.chunks
		if !ok {
			return 0, st.err
		}
		st.cur, st.buf = chunk, chunk
	}
	n := copy(p, st.cur)
	st.cur = st.cur[n:]
	return n, nil
}

// stop ends the stage's goroutine and waits for it, so that what it reads
// can be closed safely afterwards.
func (st *stage) stop() {
	st.stopOnce.Do(func() { close(st.stopped) })
	<-st.done
}

// decompress opens the layer's tar according to its media type.
func decompress(mediaType string, r io.Reader) (io.Reader, func(), error) {
	switch {
	case strings.HasSuffix(mediaType, "tar.gzip"), strings.HasSuffix(mediaType, "tar+gzip"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: the blob is not gzip (%v), as its media type %s says it is", ErrCorruptLayer, err, mediaType)
		}
		return zr, func() { zr.Close() }, nil
	case strings.HasSuffix(mediaType, ".tar"), strings.HasSuffix(mediaType, ".diff.tar"):
		return r, func() {}, nil
	}
	return nil, nil, fmt.Errorf("layer media type %q is not supported: groot imports tar and gzip tar layers", mediaType)
}

// verifier hashes what is read through it and, at the end, compares the
// hash (and size, when known) with what the image says.
type verifier struct {
	r        io.Reader
	h        hash.Hash
	want     string
	what     string
	wantSize int64
	n        int64
	err      error
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.wantSize >= 0 && v.n > v.wantSize {
		v.err = fmt.Errorf("%w: the blob is longer than the %d bytes the manifest gives", ErrCorruptLayer, v.wantSize)
		return n, v.err
	}
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			v.err = fmt.Errorf("%w: the layer is truncated after %d bytes (%v)", ErrCorruptLayer, v.n, err)
		} else {
			v.err = fmt.Errorf("%w: reading the layer: %v", ErrCorruptLayer, err)
		}
		return n, v.err
	}
	return n, err
}

func (v *verifier) check() error {
	if v.wantSize >= 0 && v.n != v.wantSize {
		return fmt.Errorf("%w: the blob has %d bytes, the manifest says %d (truncated download or corrupt file)", ErrCorruptLayer, v.n, v.wantSize)
	}
	got := "sha256:" + hex.EncodeToString(v.h.Sum(nil))
	if got != v.want {
		return fmt.Errorf("%w: its %s is %s, the image says %s", ErrCorruptLayer, v.what, got, v.want)
	}
	return nil
}

func checkDigest(d string) error {
	hexPart, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hexPart) != 64 {
		return fmt.Errorf("%q is not a sha256 digest", d)
	}
	if _, err := hex.DecodeString(hexPart); err != nil || strings.ToLower(hexPart) != hexPart {
		return fmt.Errorf("%q is not a sha256 digest", d)
	}
	return nil
}

// Cleanup removes half-imported layers nobody is importing now: layer
// directories without metadata whose lock is free.
func (s Store) Cleanup() error {
	entries, err := os.ReadDir(s.Local(s.Dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || checkDigest("sha256:"+e.Name()) != nil {
			continue
		}
		chainID := "sha256:" + e.Name()
		if _, err := os.Stat(s.Local(s.metaFile(chainID))); err == nil {
			continue
		}
		lock, ok, err := filelock.TryAcquire(s.Local(s.lockFile(chainID)))
		if err != nil || !ok {
			continue // being imported right now
		}
		if err := s.removeHalfImported(s.layerDir(chainID)); err != nil {
			errs = append(errs, err)
		}
		lock.Unlock()
	}
	return errors.Join(errs...)
}
