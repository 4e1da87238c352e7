package stream_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/garden-windows/garden-windows-release/stream"
)

// TestBenchHelper is scripts/bench-stream's driver, not a test: unless
// STREAM_BENCH names an operation it skips. The operations:
//
//	gen  make a tree of about STREAM_BENCH_MIB MiB in STREAM_BENCH_SRC
//	in   stream.In of the tar file STREAM_BENCH_TAR into STREAM_BENCH_DEST
//	out  stream.Out of STREAM_BENCH_SRC (".") into the file STREAM_BENCH_TAR
func TestBenchHelper(t *testing.T) {
	env := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set", name)
		}
		return v
	}
	switch op := os.Getenv("STREAM_BENCH"); op {
	case "":
		t.Skip("scripts/bench-stream's driver; runs only with STREAM_BENCH set")
	case "gen":
		mib, err := strconv.Atoi(env("STREAM_BENCH_MIB"))
		if err != nil || mib < 1 {
			t.Fatalf("STREAM_BENCH_MIB must be a positive number of MiB, not %q", os.Getenv("STREAM_BENCH_MIB"))
		}
		files, bytes := generateTree(t, env("STREAM_BENCH_SRC"), int64(mib)<<20)
		fmt.Printf("generated %d files, %d bytes\n", files, bytes)
	case "in":
		f, err := os.Open(env("STREAM_BENCH_TAR"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := stream.In(f, env("STREAM_BENCH_DEST"), stream.InOptions{}); err != nil {
			t.Fatal(err)
		}
	case "out":
		f, err := os.Create(env("STREAM_BENCH_TAR"))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Out(f, env("STREAM_BENCH_SRC"), "."); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("STREAM_BENCH=%q: want gen, in or out", op)
	}
}

// generateTree writes about total bytes of deterministic pseudo-random
// files under root, shaped like an application: 40% of the bytes in many
// small files (1 to 32 KiB, 100 to a directory, two levels deep), 35% in
// medium ones (256 KiB to 4 MiB) and 25% in three large ones, plus a few
// empty directories.
func generateTree(t *testing.T, root string, total int64) (files int, written int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	write := func(p string, size int64) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, len(buf))
		for left := size; left > 0; {
			n := min(left, int64(len(buf)))
			_, _ = data.Read(buf[:n])
			if _, err := w.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
			left -= n
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		files++
		written += size
	}

	for i, budget := 0, total*40/100; budget > 0; i++ {
		size := min(budget, 1<<10+rng.Int64N(31<<10))
		write(filepath.Join(root, "small", fmt.Sprintf("d%03d", i/1000), fmt.Sprintf("s%02d", i/100%10), fmt.Sprintf("file-%05d.dat", i)), size)
		budget -= size
	}
	for i, budget := 0, total*35/100; budget > 0; i++ {
		size := min(budget, 256<<10+rng.Int64N(3840<<10))
		write(filepath.Join(root, "medium", fmt.Sprintf("m%02d", i/20), fmt.Sprintf("file-%03d.bin", i)), size)
		budget -= size
	}
	large := total - written
	for i := range 3 {
		size := large / 3
		if i == 2 {
			size = large - 2*(large/3)
		}
		write(filepath.Join(root, "large", fmt.Sprintf("blob-%d.bin", i)), size)
	}
	for i := range 20 {
		if err := os.MkdirAll(filepath.Join(root, "empty", fmt.Sprintf("e%02d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return files, written
}
